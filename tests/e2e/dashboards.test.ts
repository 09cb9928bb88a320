import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createSandbox,
  createSandboxClient,
  generateBotToken,
  type Sandbox,
  type SandboxClient,
} from '@flotilla/telegram-sandbox';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestVhost, type TestVhost } from '../../packages/platform/test/component/messaging-broker.js';
import { botTestEnv } from '../../services/bot/test/support/bot-harness.js';
import { workerTestEnv } from '../../services/worker/test/support/worker-harness.js';
import { type DataServices, isolatedRedisUrl, startDataServices } from '../support/data-services.js';
import {
  queryPrometheus,
  startTestExporters,
  startTestPrometheus,
  type TestServer,
} from '../support/prometheus.js';
import { metricNames } from '../support/promql-names.js';
import {
  baseServiceEnv,
  freePort,
  repoRoot,
  type ServiceProcess,
  startService,
  waitUntilLive,
} from './helpers/service-process.js';
import { linkTelegramAccount } from './helpers/telegram-link.js';
import { runUserJourney } from './helpers/user-journey.js';

/**
 * Dashboards and alerts are checked against live metrics: the real Prometheus scrapes api, worker,
 * bot, data-postgres and data-mongo while a user journey runs (register, log in, upload a photo and a
 * document, ask) and the same user talks to the bot (polling the Bot API sandbox: links the account,
 * asks for help, sends a photo that comes back compressed, and meets one handler error), then every
 * query of every dashboard panel must return series with the labels its legend names, and every
 * metric an alert rule reads must be exported.
 */

const observability = join(repoRoot, 'infrastructure', 'observability');
/** Dashboards not checked here, each with the reason (none today: every dashboard is checked). */
const EXCLUDED_DASHBOARDS: Record<string, string> = {};

let data: DataServices;
let vhost: TestVhost;
let api: ServiceProcess;
let worker: ServiceProcess;
let bot: ServiceProcess;
let sandbox: Sandbox;
let telegram: SandboxClient;
let redis: Redis;
let prometheus: TestServer;
let exporters: Awaited<ReturnType<typeof startTestExporters>>;

beforeAll(async () => {
  vhost = await createTestVhost('dashboards');
  data = await startDataServices({ readyTimeoutMs: 120_000, rabbitmqUrl: vhost.url });
  const redisUrl = isolatedRedisUrl();
  worker = startService('worker', await freePort(), {
    ...baseServiceEnv(),
    ...workerTestEnv(data, vhost.url),
    REDIS_URL: redisUrl,
    SCHEDULES_ENABLED: 'true',
    SCHEDULE_EXPIRED_LEASES_INTERVAL_MS: '1000',
    SCHEDULE_STALE_QUEUED_INTERVAL_MS: '1000',
    SCHEDULE_RETENTION_INTERVAL_MS: '1000',
  });
  api = startService('api', await freePort(), {
    ...baseServiceEnv(),
    LOG_LEVEL: 'warn',
    DATA_POSTGRES_URL: data.dataPostgresUrl,
    DATA_MONGO_URL: data.dataMongoUrl,
    DATA_SERVICE_TOKEN: data.tokens.api,
    RABBITMQ_URL: vhost.url,
    REDIS_URL: redisUrl,
  });
  sandbox = createSandbox();
  const apiRoot = await sandbox.listen(0);
  const token = generateBotToken();
  telegram = createSandboxClient(apiRoot, token);
  bot = startService('bot', await freePort(), {
    ...baseServiceEnv(),
    ...botTestEnv({ services: data, rabbitmqUrl: vhost.url, redisUrl, apiRoot, token }),
    LOG_LEVEL: 'warn',
  });
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  await Promise.all([
    waitUntilLive(worker, 180_000),
    waitUntilLive(api, 180_000),
    waitUntilLive(bot, 180_000),
  ]);
  const rules = await readFile(join(observability, 'prometheus', 'rules', 'flotilla.alerts.yml'), 'utf8');
  const target = (url: string) => url.replace(/^http:\/\//, '');
  exporters = await startTestExporters();
  prometheus = await startTestPrometheus({
    jobs: [
      { job: 'api', targets: [target(api.url(''))] },
      { job: 'worker', targets: [target(worker.url(''))] },
      { job: 'bot', targets: [target(bot.url(''))] },
      { job: 'data-postgres', targets: [target(data.dataPostgresUrl)] },
      { job: 'data-mongo', targets: [target(data.dataMongoUrl)] },
      ...exporters.jobs,
    ],
    rules: { 'flotilla.alerts.yml': rules },
  });
  const journey = await runUserJourney(api.url(''));
  // The 404s and rejected logins of the golden-signal panels.
  await fetch(api.url('/api/v1/no-such-route'));
  await talkToTheBot(journey.userId);
}, 600_000);

/** The journey's user on Telegram: a few updates of each kind the bot dashboard shows. */
async function talkToTheBot(userId: string): Promise<void> {
  const person = await linkTelegramAccount(redis, telegram, userId);
  // One handler error: Telegram refuses the answer to /help once; the user gets the friendly reply.
  await telegram.injectFault({
    method: 'sendMessage',
    error_code: 400,
    description: 'Bad Request: message text is empty',
    count: 1,
  });
  await telegram.sendText(person, '/help');
  await telegram.waitForBotMessage(person.id, (message) => message.text?.includes('(ref tg-') ?? false);
  const photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#3a6' } })
    .jpeg()
    .toBuffer();
  await telegram.sendPhoto(person, photo);
  // The worker's media.succeeded comes back as a notification: the compressed photo.
  await telegram.waitForBotMessage(person.id, (message) => message.photo !== undefined, 90_000);
}

afterAll(async () => {
  await prometheus?.stop();
  await exporters?.stop();
  for (const service of [bot, api, worker]) {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  }
  redis?.disconnect();
  await sandbox?.close();
  await data?.stop();
  await vhost?.remove();
});

interface Panel {
  title: string;
  targets?: Array<{ expr: string; legendFormat?: string }>;
}

/** Grafana's variables as a dashboard opened on "All" over the last 10 minutes would expand them. */
function expand(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '10m').replaceAll('$service', '.*');
}

async function exportedNames(): Promise<Set<string>> {
  const values = (await (await fetch(`${prometheus.url}/api/v1/label/__name__/values`)).json()) as {
    data: string[];
  };
  const metadata = (await (await fetch(`${prometheus.url}/api/v1/metadata`)).json()) as {
    data: Record<string, unknown>;
  };
  return new Set([...values.data, ...Object.keys(metadata.data)]);
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 45_000;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last !== undefined) return last;
    if (Date.now() > deadline) throw new Error(`no data for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

describe('dashboards and alerts on live metrics', () => {
  it('scrapes the infrastructure: PostgreSQL and Redis up, host metrics present, RabbitMQ through its plugin', async () => {
    for (const expr of [
      'pg_up == 1',
      'redis_up == 1',
      'node_load1',
      'up{job=~"node|postgres|redis|rabbitmq"} == 1',
      'up{job="rabbitmq"} == 1',
      'rabbitmq_build_info',
      'rabbitmq_queues > 0',
    ]) {
      const result = await eventually(expr, async () => {
        const found = await queryPrometheus(prometheus.url, expr);
        return found.length > 0 ? found : undefined;
      });
      expect(result.length).toBeGreaterThan(0);
    }
  });

  it('only the dashboards listed with a reason are left out', async () => {
    const files = (await readdir(join(observability, 'grafana', 'dashboards'))).filter((file) =>
      file.endsWith('.json'),
    );
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const excluded of Object.keys(EXCLUDED_DASHBOARDS)) expect(files).toContain(excluded);
  });

  it('every panel query of every dashboard returns series with the labels of its legend', async () => {
    const dir = join(observability, 'grafana', 'dashboards');
    const files = (await readdir(dir)).filter((file) => file.endsWith('.json') && !EXCLUDED_DASHBOARDS[file]);
    const checked: string[] = [];
    for (const file of files) {
      const dashboard = JSON.parse(await readFile(join(dir, file), 'utf8')) as { panels: Panel[] };
      for (const panel of dashboard.panels) {
        for (const target of panel.targets ?? []) {
          const expr = expand(target.expr);
          const legendLabels = [...(target.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map(
            (match) => match[1] as string,
          );
          await eventually(`${file} / ${panel.title}: ${expr}`, async () => {
            const result = await queryPrometheus(prometheus.url, expr);
            const complete = result.filter((series) =>
              legendLabels.every((label) => series.metric[label] !== undefined),
            );
            return complete.length > 0 ? complete : undefined;
          });
          checked.push(`${file}: ${panel.title}`);
        }
      }
    }
    expect(checked.length).toBeGreaterThan(30);
  });

  it('every alert expression is valid and reads only metrics the services export', async () => {
    const rules = parse(
      await readFile(join(observability, 'prometheus', 'rules', 'flotilla.alerts.yml'), 'utf8'),
    ) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
    const alerts = rules.groups.flatMap((group) => group.rules);
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    const names = await eventually('the scraped metric names', async () => {
      const found = await exportedNames();
      return found.has('queue_consumers') && found.has('worker_media_jobs_total') ? found : undefined;
    });
    const read = alerts.flatMap((alert) => metricNames(alert.expr));
    expect(read).toEqual(
      expect.arrayContaining([
        'up',
        'http_requests_total',
        'queue_depth',
        'queue_consumers',
        'worker_media_jobs_total',
        'rabbitmq_alarms_memory_used_watermark',
      ]),
    );
    for (const alert of alerts) {
      await queryPrometheus(prometheus.url, alert.expr); // throws on an invalid expression
      const missing = metricNames(alert.expr).filter((name) => !names.has(name));
      expect(missing, `${alert.alert} reads metrics nobody exports`).toEqual([]);
    }
    // Prometheus loaded the same rules and evaluates them without errors.
    const loaded = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
    };
    const evaluated = await eventually('the rules to be evaluated', async () => {
      const all = (
        (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as typeof loaded
      ).data.groups.flatMap((group) => group.rules);
      return all.every((rule) => rule.health === 'ok') ? all : undefined;
    });
    expect(evaluated.map((rule) => rule.name).sort()).toEqual(alerts.map((alert) => alert.alert).sort());
  });
});
