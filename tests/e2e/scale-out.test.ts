import { randomBytes } from 'node:crypto';
import { createDataPostgresClient, type DataPostgresClient, type MediaJob } from '@flotilla/contracts';
import type { EventEnvelope } from '@flotilla/platform';
import { type ChannelModel, connect } from 'amqplib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestVhost,
  quietLogger,
  type TestVhost,
  waitFor,
} from '../../packages/platform/test/component/messaging-broker.js';
import { workerTestEnv } from '../../services/worker/test/support/worker-harness.js';
import { type DataServices, isolatedRedisUrl, startDataServices } from '../support/data-services.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import {
  baseServiceEnv,
  freePort,
  type ServiceProcess,
  startService,
  testToken,
} from './helpers/service-process.js';

/**
 * Scale-out on one machine, as the Helm chart and docker-compose.prod.yml run it: two api processes
 * behind the gateway (nginx's upstream holds both) and two workers consuming the same queues, on the
 * shared PostgreSQL, MongoDB-wire server, Redis and RabbitMQ (a database, Redis db and vhost of this
 * test's own). Uploads go through the gateway; every job is processed exactly once, by either worker.
 * (Two bots on one Redis are not covered here.)
 */

const PHOTOS = 12;
let services: DataServices;
let vhost: TestVhost;
let gateway: TestGateway;
let dataPostgres: DataPostgresClient;
let observer: ChannelModel;
const observed: EventEnvelope[] = [];
const apis: ServiceProcess[] = [];
const workers: ServiceProcess[] = [];

async function waitReady(service: ServiceProcess): Promise<void> {
  await waitFor(
    `${service.name} on ${service.port} to be ready`,
    async () => {
      if (service.child.exitCode !== null)
        throw new Error(`${service.name} exited: ${service.stderr.slice(-20).join('\n')}`);
      const response = await fetch(service.url('/health/ready')).catch(() => undefined);
      return response?.status === 200;
    },
    60_000,
  );
}

/** Sum of one Prometheus counter's samples whose labels include every `labels` pair. */
async function counter(service: ServiceProcess | string, name: string, labels: Record<string, string>) {
  const url = typeof service === 'string' ? `${service}/metrics` : service.url('/metrics');
  const text = await (await fetch(url)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .filter((line) => Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

const eventsOf = (jobId: string, type: string) =>
  observed.filter(
    (event) => event.event_type === type && (event.data as { job_id?: string }).job_id === jobId,
  );

async function stop(service: ServiceProcess): Promise<number | null> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return service.child.exitCode;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 15_000);
  const code = await service.exited;
  clearTimeout(timer);
  return code;
}

beforeAll(async () => {
  vhost = await createTestVhost('scale-out');
  services = await startDataServices({ rabbitmqUrl: vhost.url });
  const redisUrl = isolatedRedisUrl();
  const shared = {
    ...baseServiceEnv(),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    REDIS_URL: redisUrl,
  };
  const apiEnv = {
    ...shared,
    DATA_POSTGRES_URL: services.dataPostgresUrl,
    DATA_MONGO_URL: services.dataMongoUrl,
    DATA_SERVICE_TOKEN: services.tokens.api,
    RABBITMQ_URL: vhost.url,
    // Both apis must verify each other's tokens: one signing key, as one Secret gives every pod.
    JWT_SIGNING_KEY: testToken(),
    TRUST_PROXY: 'true',
  };
  const workerEnv = {
    ...shared,
    ...workerTestEnv(services, vhost.url),
    LOG_LEVEL: shared.LOG_LEVEL,
    REDIS_URL: redisUrl,
    // One photo at a time per worker, so the broker hands the queue to both.
    MEDIA_PREFETCH: '1',
    MEDIA_CONCURRENCY: '1',
    SCHEDULES_ENABLED: 'true',
    SCHEDULE_LOCK_NAMESPACE: `scale-${randomBytes(4).toString('hex')}`,
  };
  for (let i = 0; i < 2; i++) apis.push(startService('api', await freePort(), apiEnv));
  for (let i = 0; i < 2; i++) workers.push(startService('worker', await freePort(), workerEnv));
  await Promise.all([...apis, ...workers].map(waitReady));
  gateway = await startTestGateway(
    await freePort(),
    apis.map((api) => api.port),
  );
  dataPostgres = createDataPostgresClient({
    baseUrl: services.dataPostgresUrl,
    callerName: 'api',
    serviceToken: services.tokens.api,
    logger: quietLogger,
  });
  observer = await connect(vhost.url);
  const channel = await observer.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, 'events', 'media.#');
  await channel.consume(
    queue,
    (message) => {
      if (message) observed.push(JSON.parse(message.content.toString('utf8')) as EventEnvelope);
    },
    { noAck: true },
  );
}, 240_000);

afterAll(async () => {
  await Promise.all([...apis, ...workers].map(stop));
  await gateway?.stop();
  await observer?.close().catch(() => undefined);
  await dataPostgres?.close();
  await vhost?.remove();
  await services?.stop();
});

describe('scale-out on one machine', () => {
  it('two apis behind the gateway and two workers on the same queues process every upload exactly once', async () => {
    expect(gateway.config.match(/server 127\.0\.0\.1:\d+ max_fails=0;/g)).toHaveLength(2);
    const api = (path: string) => `${gateway.url}/api/v1${path}`;
    const tag = randomBytes(4).toString('hex');
    const credentials = { email: `scale.${tag}@example.com`, password: `scale out ${tag} please` };
    const registered = await fetch(api('/auth/register'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...credentials, username: `scale_${tag}` }),
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const login = await fetch(api('/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
    });
    expect(login.status).toBe(200);
    const { access_token: token } = (await login.json()) as { access_token: string };
    const auth = { authorization: `Bearer ${token}` };
    const blobsBefore = await counter(services.dataMongoUrl, 'http_requests_total', {
      method: 'POST',
      route: '/api/v1/blobs',
      status_code: '201',
    });

    // Uploads, four at a time, each answered by whichever api nginx picks.
    const jobIds: string[] = [];
    const photos = await Promise.all(
      Array.from({ length: PHOTOS }, (_, i) =>
        sharp({
          create: { width: 640 + i * 8, height: 480, channels: 3, background: { r: i * 20, g: 90, b: 160 } },
        })
          .jpeg({ quality: 92 })
          .toBuffer(),
      ),
    );
    for (let start = 0; start < PHOTOS; start += 4) {
      const batch = photos.slice(start, start + 4).map(async (photo, offset) => {
        const form = new FormData();
        form.append(
          'file',
          new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }),
          `p${start + offset}.jpg`,
        );
        const response = await fetch(api('/media'), { method: 'POST', headers: auth, body: form });
        expect(response.status, await response.clone().text()).toBe(202);
        return String(((await response.json()) as { id: string }).id);
      });
      jobIds.push(...(await Promise.all(batch)));
    }
    expect(new Set(jobIds).size).toBe(PHOTOS);

    // Every job finishes, read through the gateway (either api answers for any job).
    await waitFor(
      'every job to finish',
      async () => {
        const states = await Promise.all(
          jobIds.map(async (id) => {
            const response = await fetch(api(`/media/${id}`), { headers: auth });
            return ((await response.json()) as { status: string }).status;
          }),
        );
        return states.every((status) => status === 'succeeded' || status === 'failed');
      },
      120_000,
    );
    await waitFor('a media.succeeded for every job', () =>
      jobIds.every((id) => eventsOf(id, 'media.succeeded').length >= 1),
    );
    // Let any straggling duplicate delivery run out before counting.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    // Job rows: each succeeded on its first attempt, with one result.
    const jobs = (await Promise.all(jobIds.map((id) => dataPostgres.mediaJobs.get(id)))) as MediaJob[];
    expect(jobs.map((job) => job.status)).toEqual(Array(PHOTOS).fill('succeeded'));
    expect(jobs.map((job) => job.attempts)).toEqual(Array(PHOTOS).fill(1));
    expect(new Set(jobs.map((job) => job.result?.blob_id)).size).toBe(PHOTOS);

    // Events: one upload and one success per job, none twice.
    for (const id of jobIds) {
      expect(eventsOf(id, 'media.uploaded'), id).toHaveLength(1);
      expect(eventsOf(id, 'media.succeeded'), id).toHaveLength(1);
      expect(eventsOf(id, 'media.failed'), id).toHaveLength(0);
    }

    // Result blobs: the original from an api, then a result and a thumbnail per job, nothing more.
    const blobsAfter = await counter(services.dataMongoUrl, 'http_requests_total', {
      method: 'POST',
      route: '/api/v1/blobs',
      status_code: '201',
    });
    expect(blobsAfter - blobsBefore).toBe(PHOTOS * 3);

    // Both apis took uploads, and both workers processed photos; no delivery was acked twice.
    const uploadsPerApi = await Promise.all(
      apis.map((one) =>
        counter(one, 'http_requests_total', { method: 'POST', route: '/api/v1/media', status_code: '202' }),
      ),
    );
    expect(
      uploadsPerApi.every((count) => count > 0),
      `uploads per api ${uploadsPerApi}`,
    ).toBe(true);
    expect(uploadsPerApi.reduce((a, b) => a + b, 0)).toBe(PHOTOS);
    const ackedPerWorker = await Promise.all(
      workers.map((one) =>
        counter(one, 'messages_consumed_total', { queue: 'q.worker.media', outcome: 'ack' }),
      ),
    );
    expect(
      ackedPerWorker.every((count) => count > 0),
      `photos per worker ${ackedPerWorker}`,
    ).toBe(true);
    expect(ackedPerWorker.reduce((a, b) => a + b, 0)).toBe(PHOTOS);
    const duplicates = await Promise.all(
      workers.map((one) =>
        counter(one, 'messages_consumed_total', { queue: 'q.worker.media', outcome: 'duplicate' }),
      ),
    );
    expect(duplicates).toEqual([0, 0]);
    const upstreams = new Set(
      (await gateway.accessLog())
        .filter((line) => line.uri === '/api/v1/media')
        .map((line) => line.upstream_addr),
    );
    expect(upstreams).toEqual(new Set(apis.map((one) => `127.0.0.1:${one.port}`)));

    // Replicas stop gracefully, one at a time, as a rolling update would.
    for (const service of [...apis, ...workers]) expect(await stop(service)).toBe(0);
  });
});
