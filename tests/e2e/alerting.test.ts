import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  queryPrometheus,
  startTestAlertmanager,
  startTestPrometheus,
  type TestServer,
} from '../support/prometheus.js';
import {
  baseServiceEnv,
  freePort,
  repoRoot,
  type ServiceProcess,
  startService,
  waitUntilLive,
} from './helpers/service-process.js';

/**
 * The "service down" alert of infrastructure/observability/prometheus/rules end to end: the real
 * Prometheus scrapes a running data-mongo, evaluates the rule (its `for` shortened to seconds in this
 * test's copy) and sends it to the real Alertmanager, which notifies a webhook of the test's own:
 * firing when the service is stopped, resolved when it is back.
 */

interface Notification {
  status: 'firing' | 'resolved';
  alerts: Array<{ status: string; labels: Record<string, string> }>;
}

const notifications: Notification[] = [];
let webhook: Server;
let alertmanager: TestServer;
let prometheus: TestServer;
let service: ServiceProcess;
let port: number;
const database = `flotilla_test_alerts_${randomBytes(4).toString('hex')}`;

function startDataMongo(): ServiceProcess {
  return startService('data-mongo', port, {
    ...baseServiceEnv(),
    MONGO_DATABASE: database,
    LOG_LEVEL: 'warn',
  });
}

async function serviceDownRule(): Promise<string> {
  const file = join(
    repoRoot,
    'infrastructure',
    'observability',
    'prometheus',
    'rules',
    'flotilla.alerts.yml',
  );
  const rules = parse(await readFile(file, 'utf8')) as {
    groups: Array<{ name: string; rules: Array<{ alert?: string; for?: string }> }>;
  };
  const rule = rules.groups.flatMap((group) => group.rules).find((entry) => entry.alert === 'ServiceDown');
  if (!rule) throw new Error('no ServiceDown rule');
  return stringify({ groups: [{ name: 'test', rules: [{ ...rule, for: '3s' }] }] });
}

async function waitFor<T>(what: string, read: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  webhook = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      notifications.push(JSON.parse(body) as Notification);
      response.end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const { port: webhookPort } = webhook.address() as AddressInfo;
  port = await freePort();
  service = startDataMongo();
  await waitUntilLive(service, 60_000);
  alertmanager = await startTestAlertmanager(`http://127.0.0.1:${webhookPort}/alerts`);
  prometheus = await startTestPrometheus({
    jobs: [{ job: 'data-mongo', targets: [`127.0.0.1:${port}`] }],
    rules: { 'service-down.yml': await serviceDownRule() },
    alertmanagers: [alertmanager.url.replace(/^http:\/\//, '')],
  });
}, 600_000);

afterAll(async () => {
  if (service && service.child.exitCode === null) {
    service.child.kill('SIGTERM');
    await service.exited;
  }
  await prometheus?.stop();
  await alertmanager?.stop();
  await new Promise((resolve) => webhook?.close(resolve));
  const mongo = new MongoClient(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/');
  await mongo
    .db(database)
    .dropDatabase()
    .catch(() => undefined);
  await mongo.close();
});

const serviceDown = (status: 'firing' | 'resolved') =>
  notifications.find(
    (notification) =>
      notification.status === status &&
      notification.alerts.some(
        (alert) => alert.labels.alertname === 'ServiceDown' && alert.labels.job === 'data-mongo',
      ),
  );

describe('service down alert', () => {
  it('reaches Alertmanager when a service stops, and resolves when it is back', async () => {
    await waitFor('Prometheus to scrape data-mongo', async () => {
      const result = await queryPrometheus(prometheus.url, 'up{job="data-mongo"} == 1');
      return result.length > 0 ? result : undefined;
    });
    expect(serviceDown('firing')).toBeUndefined();

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    const firing = await waitFor('the firing notification', () => serviceDown('firing'));
    const alert = firing.alerts.find((entry) => entry.labels.alertname === 'ServiceDown');
    expect(alert?.labels).toMatchObject({
      severity: 'page',
      job: 'data-mongo',
      instance: `127.0.0.1:${port}`,
    });

    service = startDataMongo();
    await waitUntilLive(service, 60_000);
    await waitFor('the resolved notification', () => serviceDown('resolved'));
  });
});
