import { Readable } from 'node:stream';
import {
  createDataMongoClient,
  createDataPostgresClient,
  type DataMongoClient,
  type DataPostgresClient,
  EVENT_SCHEMAS,
  type MediaJob,
  type MediaUploadedData,
} from '@flotilla/contracts';
import { createMessaging, type EventEnvelope, type Messaging } from '@flotilla/platform';
import { type ChannelModel, connect } from 'amqplib';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestVhost,
  quietLogger,
  type TestVhost,
  waitFor,
} from '../../packages/platform/test/component/messaging-broker.js';
import { noisyPhoto } from '../../services/worker/test/support/photo-fixtures.js';
import { workerTestEnv } from '../../services/worker/test/support/worker-harness.js';
import { type DataServices, startDataServices } from '../support/data-services.js';
import { baseServiceEnv, freePort, type ServiceProcess, startService } from './helpers/service-process.js';

/**
 * Chaos: the worker is killed with SIGKILL in the middle of a photo. Nothing acknowledged is lost and
 * nothing happens twice: a new worker finishes the job once (the message comes back to the queue, the
 * expired lease is re-queued) and no result file is stored twice.
 */

let services: DataServices;
let vhost: TestVhost;
let publisher: Messaging;
let dataPostgres: DataPostgresClient;
let dataMongo: DataMongoClient;
let observer: ChannelModel;
const observed: EventEnvelope[] = [];
const workers: ServiceProcess[] = [];
let workerEnv: NodeJS.ProcessEnv;

async function startWorker(): Promise<ServiceProcess> {
  const worker = startService('worker', await freePort(), workerEnv);
  workers.push(worker);
  await waitFor(
    'the worker to be ready',
    async () => {
      if (worker.child.exitCode !== null) throw new Error(`worker exited: ${worker.stderr.join('\n')}`);
      const response = await fetch(worker.url('/health/ready')).catch(() => undefined);
      return response?.status === 200;
    },
    30_000,
  );
  return worker;
}

async function blobUploads(): Promise<number> {
  const text = await (await fetch(`${services.dataMongoUrl}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (entry) =>
        entry.startsWith('http_requests_total{') &&
        entry.includes('method="POST"') &&
        entry.includes('route="/api/v1/blobs"') &&
        entry.includes('status_code="201"'),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const eventsOf = (jobId: string, type: string) =>
  observed.filter(
    (event) => event.event_type === type && (event.data as { job_id?: string }).job_id === jobId,
  );

beforeAll(async () => {
  vhost = await createTestVhost('worker-chaos');
  services = await startDataServices({ rabbitmqUrl: vhost.url });
  workerEnv = {
    ...baseServiceEnv(),
    ...workerTestEnv(services, vhost.url),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    // Slow enough to be killed mid-photo: no downscaling, WebP encoding of a noisy photo, one at a time.
    MEDIA_MAX_EDGE: '4096',
    MEDIA_OUTPUT_FORMAT: 'webp',
    MEDIA_MAX_INPUT_PIXELS: '20000000',
    MEDIA_CONCURRENCY: '1',
    MEDIA_JOB_LEASE_SECONDS: '3',
    SCHEDULES_ENABLED: 'true',
    SCHEDULE_EXPIRED_LEASES_INTERVAL_MS: '500',
  };
  const clientOptions = { callerName: 'api', serviceToken: services.tokens.api, logger: quietLogger };
  dataPostgres = createDataPostgresClient({ ...clientOptions, baseUrl: services.dataPostgresUrl });
  dataMongo = createDataMongoClient({ ...clientOptions, baseUrl: services.dataMongoUrl });
  publisher = createMessaging({
    url: vhost.url,
    service: 'api',
    events: EVENT_SCHEMAS,
    logger: quietLogger,
    registry: new Registry(),
    onFatal: () => undefined,
  });
}, 120_000);

afterAll(async () => {
  for (const worker of workers) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  }
  await publisher?.close();
  await observer?.close().catch(() => undefined);
  await dataPostgres?.close();
  await dataMongo?.close();
  await vhost?.remove();
  await services?.stop();
});

describe('worker chaos', () => {
  it('when the worker is killed mid-photo, a new worker finishes the job once and stores no duplicate', async () => {
    const first = await startWorker(); // declares the exchanges and every consumer queue
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
    await publisher.start();

    const user = await dataPostgres.users.create({
      email: 'chaos@example.com',
      username: 'chaos_monkey',
      password_hash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA',
    });
    const photo = await noisyPhoto(2400, 1800, 'jpeg');
    const blob = await dataMongo.blobs.upload(
      Readable.from(photo),
      { filename: 'big.jpg', owner_id: user.id, content_type: 'image/jpeg' },
      { contentLength: photo.length },
    );
    const job: MediaJob = await dataPostgres.mediaJobs.create({
      owner_id: user.id,
      kind: 'photo',
      original: {
        blob_id: blob.id,
        filename: 'big.jpg',
        content_type: 'image/jpeg',
        size_bytes: photo.length,
      },
    });
    const uploadsBefore = await blobUploads();
    await publisher.publish<MediaUploadedData>('media.uploaded', {
      job_id: job.id,
      owner_id: user.id,
      kind: 'photo',
      source: 'api',
      original: job.original,
    });

    await waitFor('media.processing', () => eventsOf(job.id, 'media.processing').length === 1, 20_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const orphaned = await dataPostgres.mediaJobs.get(job.id);
    expect(orphaned?.status).toBe('processing');

    const second = await startWorker();
    await waitFor(
      'the job to succeed',
      async () => (await dataPostgres.mediaJobs.get(job.id))?.status === 'succeeded',
      60_000,
    );
    const done = (await dataPostgres.mediaJobs.get(job.id)) as MediaJob;
    expect(done.attempts).toBe(2);
    expect(done.result).toMatchObject({ content_type: 'image/webp', width: 2400, height: 1800 });
    await waitFor('media.succeeded', () => eventsOf(job.id, 'media.succeeded').length === 1);
    // Let any straggling redelivery run out, then check that nothing happened twice.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(eventsOf(job.id, 'media.succeeded')).toHaveLength(1);
    expect(await blobUploads()).toBe(uploadsBefore + 2);
    expect(await dataMongo.blobs.get(done.result?.blob_id as string)).toMatchObject({
      size: done.result?.size_bytes,
    });
    expect(await dataPostgres.mediaJobs.get(job.id)).toEqual(done);

    // A graceful stop: consumers drain, clients close, the process exits 0.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
