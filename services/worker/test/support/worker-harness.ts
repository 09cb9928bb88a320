import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  createDataMongoClient,
  createDataPostgresClient,
  type DataMongoClient,
  type DataPostgresClient,
  EVENT_SCHEMAS,
  type KnowledgeDocument,
  type MediaJob,
  type MediaJobStatus,
  type MediaUploadedData,
} from '@flotilla/contracts';
import { createMessaging, type EventEnvelope, type HttpApp, type Messaging } from '@flotilla/platform';
import { type ChannelModel, connect } from 'amqplib';
import { Registry } from 'prom-client';
import {
  createTestVhost,
  quietLogger,
  type TestVhost,
  waitFor,
} from '../../../../packages/platform/test/component/messaging-broker.js';
import { type DataServices, startDataServices } from '../../../../tests/support/data-services.js';
import { buildApp } from '../../src/app.js';
import { loadWorkerConfig } from '../../src/config.js';
import { createDeps, type WorkerDeps } from '../../src/deps.js';
import { waitForStatus } from './wait-for-status.js';

export { waitFor };

/** A worker built in-process against its own data services, RabbitMQ vhost and Redis lock namespace. */
export interface WorkerHarness {
  services: DataServices;
  vhost: TestVhost;
  /** The worker's composition root (started). */
  worker: WorkerDeps;
  /** The worker's HTTP app (not listening: use `inject`). */
  app: HttpApp;
  /** Clients of the data services with the api's token: the test plays the api. */
  dataPostgres: DataPostgresClient;
  dataMongo: DataMongoClient;
  /** A publisher as the api. */
  publisher: Messaging;
  /** Every `media.*` and `document.*` event published on the vhost, in arrival order. */
  observed: EventEnvelope[];
  /** Creates a user (jobs need an owner) and returns its id. */
  createUser(): Promise<string>;
  /** Stores `bytes` as an upload and creates a `queued` photo job for it (without publishing). */
  createPhotoJob(ownerId: string, bytes: Buffer, filename: string, contentType: string): Promise<MediaJob>;
  /**
   * Stores `text` as an upload and creates a `queued` document job and its `pending` document for it,
   * as the api does (without publishing); `withDocument: false` leaves the job without its document.
   */
  createDocumentJob(
    ownerId: string,
    text: string,
    options?: { maxAttempts?: number; withDocument?: boolean },
  ): Promise<{ job: MediaJob; document: KnowledgeDocument | undefined }>;
  /** Publishes `media.uploaded` for a job, as the api does after creating it. */
  publishUploaded(job: MediaJob): Promise<EventEnvelope<MediaUploadedData>>;
  /** Polls the job until `predicate` holds. */
  waitForJob(id: string, status: MediaJobStatus, timeoutMs?: number): Promise<MediaJob>;
  /** Observed events of one job, by type. */
  eventsOf(jobId: string, type?: string): EventEnvelope[];
  /** Observed events of one document, by type. */
  documentEventsOf(documentId: string, type?: string): EventEnvelope[];
  /** Successful blob uploads data-mongo has answered so far (from its own metrics). */
  blobUploads(): Promise<number>;
  /** Stops the worker (closers in order), then everything else. */
  stop(): Promise<void>;
}

/** Options of {@link startWorkerHarness}. */
export interface WorkerHarnessOptions {
  label: string;
  /** Worker environment on top of the test defaults. */
  env?: Record<string, string>;
  /** Lets a test put something (a fault-injecting proxy) between the worker and data-mongo. */
  dataMongoUrlForWorker?: (url: string) => Promise<string>;
}

/** The worker's environment for tests: short retries, schedules off unless asked, own lock namespace. */
export function workerTestEnv(services: DataServices, rabbitmqUrl: string): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_POSTGRES_URL: services.dataPostgresUrl,
    DATA_MONGO_URL: services.dataMongoUrl,
    DATA_SERVICE_TOKEN: services.tokens.worker,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    CHROMA_URL: process.env.CHROMA_URL ?? 'http://127.0.0.1:8100',
    RABBITMQ_URL: rabbitmqUrl,
    MESSAGE_RETRY_DELAYS_MS: '200,400',
    MEDIA_MAX_EDGE: '256',
    MEDIA_THUMBNAIL_EDGE: '64',
    MEDIA_MAX_INPUT_PIXELS: '4000000',
    SCHEDULES_ENABLED: 'false',
    SCHEDULE_LOCK_NAMESPACE: `t-${randomBytes(4).toString('hex')}`,
    SHUTDOWN_TIMEOUT_MS: '5000',
  };
}

async function observe(url: string, bindingKeys: readonly string[]) {
  const connection: ChannelModel = await connect(url);
  const channel = await connection.createChannel();
  await channel.assertExchange('events', 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  for (const key of bindingKeys) await channel.bindQueue(queue, 'events', key);
  const seen: EventEnvelope[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (message) seen.push(JSON.parse(message.content.toString('utf8')) as EventEnvelope);
    },
    { noAck: true },
  );
  return { seen, close: () => connection.close().catch(() => undefined) };
}

/** Starts data services, a vhost, the worker and the test's own clients. */
export async function startWorkerHarness(options: WorkerHarnessOptions): Promise<WorkerHarness> {
  const vhost = await createTestVhost(options.label);
  const services = await startDataServices({ rabbitmqUrl: vhost.url });
  const dataMongoUrl = options.dataMongoUrlForWorker
    ? await options.dataMongoUrlForWorker(services.dataMongoUrl)
    : services.dataMongoUrl;
  const config = loadWorkerConfig({
    ...workerTestEnv(services, vhost.url),
    DATA_MONGO_URL: dataMongoUrl,
    ...options.env,
  });
  const worker = createDeps(config, { onFatal: () => undefined });
  const app = await buildApp(worker);
  await worker.start();
  const observer = await observe(vhost.url, ['media.#', 'document.#']);
  const publisher = createMessaging({
    url: vhost.url,
    service: 'api',
    events: EVENT_SCHEMAS,
    logger: quietLogger,
    registry: new Registry(),
    onFatal: () => undefined,
  });
  await publisher.start();
  const clientOptions = { callerName: 'api', serviceToken: services.tokens.api, logger: quietLogger };
  const dataPostgres = createDataPostgresClient({ ...clientOptions, baseUrl: services.dataPostgresUrl });
  const dataMongo = createDataMongoClient({ ...clientOptions, baseUrl: services.dataMongoUrl });

  return {
    services,
    vhost,
    worker,
    app,
    dataPostgres,
    dataMongo,
    publisher,
    observed: observer.seen,
    async createUser() {
      const tag = randomBytes(5).toString('hex');
      const user = await dataPostgres.users.create({
        email: `worker-${tag}@example.com`,
        username: `worker_${tag}`,
        password_hash: `$argon2id$v=19$m=65536,t=3,p=4$${tag}${tag}$${tag}${tag}${tag}`,
      });
      return user.id;
    },
    async createPhotoJob(ownerId, bytes, filename, contentType) {
      const blob = await dataMongo.blobs.upload(
        Readable.from(bytes),
        { filename, owner_id: ownerId, content_type: contentType },
        { contentLength: bytes.length },
      );
      return dataPostgres.mediaJobs.create({
        owner_id: ownerId,
        kind: 'photo',
        source: 'api',
        original: { blob_id: blob.id, filename, content_type: contentType, size_bytes: bytes.length },
      });
    },
    async createDocumentJob(ownerId, text, options = {}) {
      const bytes = Buffer.from(text, 'utf8');
      const filename = `notes-${randomBytes(3).toString('hex')}.txt`;
      const blob = await dataMongo.blobs.upload(
        Readable.from(bytes),
        { filename, owner_id: ownerId, content_type: 'text/plain' },
        { contentLength: bytes.length },
      );
      const job = await dataPostgres.mediaJobs.create({
        owner_id: ownerId,
        kind: 'document',
        source: 'api',
        original: { blob_id: blob.id, filename, content_type: 'text/plain', size_bytes: bytes.length },
        ...(options.maxAttempts === undefined ? {} : { max_attempts: options.maxAttempts }),
      });
      const document =
        options.withDocument === false
          ? undefined
          : await dataPostgres.documents.create({
              owner_id: ownerId,
              title: filename,
              content_type: 'text/plain',
              source_job_id: job.id,
            });
      return { job, document };
    },
    publishUploaded(job) {
      return publisher.publish<MediaUploadedData>('media.uploaded', {
        job_id: job.id,
        owner_id: job.owner_id,
        kind: job.kind,
        source: job.source,
        original: job.original,
      });
    },
    waitForJob(id, status, timeoutMs) {
      return waitForStatus(`job ${id}`, () => dataPostgres.mediaJobs.get(id), status, timeoutMs);
    },
    eventsOf(jobId, type) {
      return observer.seen.filter(
        (event) =>
          (event.data as { job_id?: string }).job_id === jobId &&
          (type === undefined || event.event_type === type),
      );
    },
    documentEventsOf(documentId, type) {
      return observer.seen.filter(
        (event) =>
          (event.data as { document_id?: string }).document_id === documentId &&
          (type === undefined || event.event_type === type),
      );
    },
    async blobUploads() {
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
    },
    async stop() {
      for (const closer of worker.closers) await Promise.resolve(closer.close()).catch(() => undefined);
      await app.close();
      await publisher.close();
      await observer.close();
      await dataPostgres.close();
      await dataMongo.close();
      await vhost.remove();
      await services.stop();
    },
  };
}
