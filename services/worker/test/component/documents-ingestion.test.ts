import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  createDataMongoClient,
  createDataPostgresClient,
  type DataMongoClient,
  type DataPostgresClient,
  type DocumentUploadedData,
  EVENT_SCHEMAS,
  type KnowledgeDocument,
  type MediaJob,
} from '@flotilla/contracts';
import {
  createKnowledgeBase,
  type KnowledgeBase,
  knowledgeEnv,
  toKnowledgeConfig,
} from '@flotilla/knowledge';
import { createMessaging, type EventEnvelope, loadConfig, type Messaging } from '@flotilla/platform';
import { type ChannelModel, connect } from 'amqplib';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDocx, makeEmptyPdf } from '../../../../packages/knowledge/test/support/fixtures.js';
import {
  type OpenAICompatibleServer,
  startOpenAICompatibleServer,
} from '../../../../packages/knowledge/test/support/openai-compatible-server.js';
import {
  createTestVhost,
  metricValue,
  quietLogger,
  type TestVhost,
  waitFor,
} from '../../../../packages/platform/test/component/messaging-broker.js';
import { type DataServices, startDataServices } from '../../../../tests/support/data-services.js';
import { startDocumentsConsumer } from '../../src/modules/documents/documents.deps.js';
import { waitForStatus } from '../support/wait-for-status.js';

const QUEUE = 'q.worker.documents';
let services: DataServices;
let vhost: TestVhost;
let provider: OpenAICompatibleServer;
let messaging: Messaging;
let publisher: Messaging;
let knowledge: KnowledgeBase;
let dataPostgres: DataPostgresClient;
let dataMongo: DataMongoClient;
let registry: Registry;
let observer: ChannelModel;
const seen: EventEnvelope[] = [];
let owner: string;

const MANUAL = [
  'The espresso machine must be descaled every three months with citric acid.',
  'Grind the beans fresh for each shot; eighteen grams is a double.',
  'If the pump hums but no water flows, the tank is empty or the valve is stuck.',
].join('\n\n');

async function observe(url: string) {
  const connection = await connect(url);
  const channel = await connection.createChannel();
  await channel.assertExchange('events', 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, 'events', 'document.#');
  await channel.consume(
    queue,
    (message) => {
      if (message) seen.push(JSON.parse(message.content.toString('utf8')) as EventEnvelope);
    },
    { noAck: true },
  );
  return connection;
}

async function upload(
  bytes: Buffer,
  title: string,
  contentType: string,
  options: { withJob?: boolean } = {},
): Promise<DocumentUploadedData> {
  const blob = await dataMongo.blobs.upload(
    Readable.from(bytes),
    { filename: title, owner_id: owner, content_type: contentType },
    { contentLength: bytes.length },
  );
  const job =
    options.withJob === false
      ? undefined
      : await dataPostgres.mediaJobs.create({
          owner_id: owner,
          kind: 'document',
          source: 'api',
          original: {
            blob_id: blob.id,
            filename: title,
            content_type: contentType,
            size_bytes: bytes.length,
          },
        });
  const document = await dataPostgres.documents.create({
    owner_id: owner,
    title,
    content_type: contentType,
    ...(job ? { source_job_id: job.id } : {}),
  });
  return {
    document_id: document.id,
    owner_id: owner,
    ...(job ? { job_id: job.id } : {}),
    blob_id: blob.id,
    title,
    content_type: contentType,
    size_bytes: bytes.length,
  };
}

const waitForDocument = (id: string, status: KnowledgeDocument['status'], timeoutMs?: number) =>
  waitForStatus(`document ${id}`, () => dataPostgres.documents.get(id), status, timeoutMs);

/** The document is written before its job: wait for the job too. */
const waitForJob = (id: string | undefined, status: MediaJob['status']) =>
  waitForStatus(`job ${id}`, () => dataPostgres.mediaJobs.get(id as string), status);

const eventsOf = (documentId: string, type?: string) =>
  seen.filter(
    (event) =>
      (event.data as { document_id?: string }).document_id === documentId &&
      (type === undefined || event.event_type === type),
  );

beforeAll(async () => {
  vhost = await createTestVhost('worker-documents');
  services = await startDataServices({ rabbitmqUrl: vhost.url });
  provider = await startOpenAICompatibleServer();
  registry = new Registry();
  const env = loadConfig(
    Type.Object({
      ...knowledgeEnv(),
    }),
    {
      service: 'worker-test',
      env: {
        LLM_API_KEY: 'test-key-0123456789abcdef',
        LLM_BASE_URL: provider.baseUrl,
        LLM_EMBEDDING_MODEL: 'double-embed',
        LLM_MAX_RETRIES: '1',
        KNOWLEDGE_CHUNK_SIZE: '200',
        KNOWLEDGE_CHUNK_OVERLAP: '20',
        EMBEDDING_BATCH_SIZE: '2',
      },
    },
  );
  const knowledgeConfig = toKnowledgeConfig(env);
  knowledge = createKnowledgeBase(knowledgeConfig, {
    chromaUrl: process.env.CHROMA_URL as string,
    registry,
    logger: quietLogger,
  });
  const clientOptions = { callerName: 'worker', serviceToken: services.tokens.worker, logger: quietLogger };
  dataPostgres = createDataPostgresClient({ ...clientOptions, baseUrl: services.dataPostgresUrl });
  dataMongo = createDataMongoClient({ ...clientOptions, baseUrl: services.dataMongoUrl });
  messaging = createMessaging({
    url: vhost.url,
    service: 'worker',
    events: EVENT_SCHEMAS,
    logger: quietLogger,
    registry,
    onFatal: () => undefined,
  });
  await messaging.start();
  observer = await observe(vhost.url);
  await startDocumentsConsumer({
    config: { knowledge: knowledgeConfig, prefetch: 2, leaseSeconds: 60 },
    messaging,
    dataPostgres,
    dataMongo,
    knowledge,
    logger: quietLogger,
    registry,
    retryDelaysMs: [100, 200],
  });
  publisher = createMessaging({
    url: vhost.url,
    service: 'api',
    events: EVENT_SCHEMAS,
    logger: quietLogger,
    registry: new Registry(),
    onFatal: () => undefined,
  });
  await publisher.start();
  const tag = randomBytes(5).toString('hex');
  const user = await dataPostgres.users.create({
    email: `documents-${tag}@example.com`,
    username: `documents_${tag}`,
    password_hash: `$argon2id$v=19$m=65536,t=3,p=4$${tag}${tag}$${tag}${tag}${tag}`,
  });
  owner = user.id;
}, 60_000);

afterAll(async () => {
  if (owner) await knowledge?.store.dropOwner(owner);
  await messaging?.close();
  await publisher?.close();
  await observer?.close().catch(() => undefined);
  await dataPostgres?.close();
  await dataMongo?.close();
  await provider?.close();
  await vhost?.remove();
  await services?.stop();
});

describe('document ingestion in the worker', () => {
  it('indexes an uploaded document: job succeeded with progress, chunk count recorded, document.indexed published', async () => {
    const event = await upload(Buffer.from(MANUAL), 'espresso.txt', 'text/plain');
    await publisher.publish('document.uploaded', event, { userId: owner });

    const document = await waitForDocument(event.document_id, 'indexed');
    expect(document.chunk_count).toBeGreaterThan(1);
    expect(await knowledge.store.count(owner, event.document_id)).toBe(document.chunk_count);
    const job = await waitForJob(event.job_id, 'succeeded');
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1, progress: 100 });

    await waitFor('document.indexed', () => eventsOf(event.document_id, 'document.indexed').length === 1);
    expect(eventsOf(event.document_id, 'document.indexed')[0]?.data).toMatchObject({
      document_id: event.document_id,
      owner_id: owner,
      chunk_count: document.chunk_count,
      attempts: 1,
    });
    const answer = await knowledge.ask({
      ownerId: owner,
      question: 'How often must the espresso machine be descaled?',
    });
    expect(answer.citations[0]?.documentId).toBe(event.document_id);
  });

  it('indexes a docx without a job, and a redelivered event changes nothing', async () => {
    const event = await upload(
      await makeDocx(['Warranty: two years from the date of purchase.']),
      'warranty.docx',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      { withJob: false },
    );
    await publisher.publish('document.uploaded', event, { userId: owner });
    const document = await waitForDocument(event.document_id, 'indexed');
    const idsBefore = await knowledge.store.documentIds(owner, event.document_id);
    const skippedBefore = await metricValue(registry, 'worker_documents_total', { status: 'skipped' });

    await publisher.publish('document.uploaded', event, { userId: owner });
    await waitFor(
      'the duplicate to be skipped',
      async () =>
        (await metricValue(registry, 'worker_documents_total', { status: 'skipped' })) === skippedBefore + 1,
    );
    expect(await knowledge.store.documentIds(owner, event.document_id)).toEqual(idsBefore);
    expect((await dataPostgres.documents.get(event.document_id))?.indexed_at).toBe(document.indexed_at);
    expect(eventsOf(event.document_id, 'document.indexed')).toHaveLength(1);
  });

  it('fails a PDF without text at once with KNOWLEDGE.NO_TEXT, no retry', async () => {
    const event = await upload(await makeEmptyPdf(2), 'scan.pdf', 'application/pdf');
    await publisher.publish('document.uploaded', event, { userId: owner });
    const document = await waitForDocument(event.document_id, 'failed');
    expect(document.error?.code).toBe('KNOWLEDGE.NO_TEXT');
    const job = await waitForJob(event.job_id, 'failed');
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'KNOWLEDGE.NO_TEXT' } });
    await waitFor('document.failed', () => eventsOf(event.document_id, 'document.failed').length === 1);
    expect(eventsOf(event.document_id, 'document.failed')[0]?.data).toMatchObject({
      error: { code: 'KNOWLEDGE.NO_TEXT' },
      attempts: 1,
    });
    expect(await knowledge.store.count(owner, event.document_id)).toBe(0);
  });

  it('fails an unsupported type and a document whose file is gone, for good', async () => {
    const image = await upload(Buffer.from('not really a png'), 'photo.png', 'image/png');
    await publisher.publish('document.uploaded', image, { userId: owner });
    expect((await waitForDocument(image.document_id, 'failed')).error?.code).toBe(
      'KNOWLEDGE.UNSUPPORTED_TYPE',
    );

    const gone = await upload(Buffer.from(MANUAL), 'gone.txt', 'text/plain');
    await dataMongo.blobs.delete(gone.blob_id);
    await publisher.publish('document.uploaded', gone, { userId: owner });
    expect((await waitForDocument(gone.document_id, 'failed')).error?.code).toBe('DOCUMENT.BLOB_MISSING');
  });

  it('retries while the provider fails, then fails the job and dead-letters the message after the last attempt', async () => {
    provider.setBroken(true);
    try {
      const event = await upload(Buffer.from(MANUAL), 'broken.txt', 'text/plain');
      await publisher.publish('document.uploaded', event, { userId: owner });
      // Three attempts, each with the provider client's own backoff: seconds, more on a loaded machine.
      const document = await waitForDocument(event.document_id, 'failed', 60_000);
      expect(document.error?.code).toBe('DOCUMENT.RETRIES_EXHAUSTED');
      expect(document.error?.message).toContain('KNOWLEDGE.PROVIDER_UNAVAILABLE');
      const job = await waitForJob(event.job_id, 'failed');
      expect(job).toMatchObject({
        status: 'failed',
        attempts: 3,
        error: { code: 'DOCUMENT.RETRIES_EXHAUSTED' },
      });
      await waitFor('document.failed', () => eventsOf(event.document_id, 'document.failed').length === 1);
      expect(eventsOf(event.document_id, 'document.failed')[0]?.data).toMatchObject({ attempts: 3 });
      await waitFor('the dead letter', async () => (await vhost.ready(`${QUEUE}.dlq`)) === 1);
      expect(
        await metricValue(registry, 'worker_documents_total', { status: 'retry' }),
      ).toBeGreaterThanOrEqual(2);
    } finally {
      provider.setBroken(false);
    }
  }, 90_000);
});
