import { setTimeout as sleep } from 'node:timers/promises';
import type { KnowledgeDocument, UserUpdatedData } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, quietLogger } from '../../../../packages/platform/test/component/messaging-broker.js';
import { createCleanUpRetention } from '../../src/modules/media/application/clean-up-retention.use-case.js';
import { createScheduleMetrics, startSchedule } from '../../src/schedules/schedule.runner.js';
import { noisyPhoto } from '../support/photo-fixtures.js';
import { waitForStatus } from '../support/wait-for-status.js';
import { startWorkerHarness, type WorkerHarness, waitFor } from '../support/worker-harness.js';

const ANALYTICS_QUEUE = 'q.worker.analytics';
let harness: WorkerHarness;
let owner: string;

const metric = (name: string, labels: Record<string, string>) =>
  metricValue(harness.worker.runtime.metrics.registry, name, labels);

beforeAll(async () => {
  harness = await startWorkerHarness({
    label: 'worker-schedules',
    env: {
      SCHEDULES_ENABLED: 'true',
      SCHEDULE_EXPIRED_LEASES_INTERVAL_MS: '300',
      SCHEDULE_STALE_QUEUED_INTERVAL_MS: '300',
      MEDIA_STALE_QUEUED_SECONDS: '1',
      SCHEDULE_RETENTION_INTERVAL_MS: '86400000',
      ANALYTICS_BATCH_SIZE: '5',
      ANALYTICS_BATCH_MAX_WAIT_MS: '200',
      ANALYTICS_PREFETCH: '10',
    },
  });
  owner = await harness.createUser();
});

afterAll(async () => {
  await harness?.stop();
});

function userUpdated(userId: string, version: number) {
  return harness.publisher.publish<UserUpdatedData>(
    'user.updated',
    { user_id: userId, version, changed: ['display_name'], status: 'active' },
    { userId },
  );
}

async function recorded(userId: string) {
  return (await harness.dataMongo.analytics.query({ user_id: userId, limit: 200 })).items;
}

describe('analytics', () => {
  it('records every domain event in data-mongo, written in batches', async () => {
    const userId = newId();
    const batchesBefore = await metric('worker_analytics_batches_total', { outcome: 'ok' });
    const sent = [];
    for (let version = 1; version <= 7; version += 1) sent.push(await userUpdated(userId, version));

    await waitFor('7 recorded events', async () => (await recorded(userId)).length === 7);
    const items = await recorded(userId);
    expect(items.map((event) => event.event_id).sort()).toEqual(sent.map((event) => event.event_id).sort());
    expect(items[0]).toMatchObject({ event_type: 'user.updated', producer: 'api', user_id: userId });
    const batches = (await metric('worker_analytics_batches_total', { outcome: 'ok' })) - batchesBefore;
    expect(batches).toBeGreaterThanOrEqual(2);
    expect(batches).toBeLessThan(7);
  });

  it('records an event once even when it is delivered twice', async () => {
    const userId = newId();
    const envelope = await userUpdated(userId, 1);
    const marker = `idempotency:worker.analytics:${envelope.event_id}`;
    await waitFor('recorded', async () => (await recorded(userId)).length === 1);
    // The marker is written once the first delivery is handled: only then is that delivery finished.
    await waitFor(
      'the first delivery marked',
      async () => (await harness.worker.redis.client.exists(marker)) === 1,
    );
    const duplicates = await metric('worker_analytics_events_total', { result: 'duplicate' });
    const acked = await metric('messages_consumed_total', { queue: ANALYTICS_QUEUE, outcome: 'ack' });

    // Forget the consumer's marker, so the second delivery reaches data-mongo rather than the short-cut.
    await harness.worker.redis.client.del(marker);
    await harness.publisher.publishEnvelope(envelope);
    await waitFor(
      'the second delivery counted as a duplicate',
      async () => (await metric('worker_analytics_events_total', { result: 'duplicate' })) > duplicates,
    );
    expect(await metric('worker_analytics_events_total', { result: 'duplicate' })).toBe(duplicates + 1);
    await waitFor(
      'the second delivery acked',
      async () =>
        (await metric('messages_consumed_total', { queue: ANALYTICS_QUEUE, outcome: 'ack' })) > acked,
    );
    expect(await recorded(userId)).toHaveLength(1);
  });
});

describe('schedules', () => {
  it('finds a job whose media.uploaded was never published, publishes it again, and the job is processed', async () => {
    const job = await harness.createPhotoJob(owner, await noisyPhoto(120, 80), 'lost.jpg', 'image/jpeg');
    const done = await harness.waitForJob(job.id, 'succeeded', 15_000);
    expect(done.attempts).toBe(1);
    const [uploaded] = harness.eventsOf(job.id, 'media.uploaded');
    expect(uploaded).toMatchObject({ producer: 'worker', data: { job_id: job.id, kind: 'photo' } });
    expect(await metric('worker_schedule_items_total', { schedule: 'stale-queued' })).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('re-queues a job whose worker died holding its lease, and the job is processed', async () => {
    const job = await harness.createPhotoJob(owner, await noisyPhoto(120, 80), 'orphan.jpg', 'image/jpeg');
    // A worker claims it, then "dies": nothing renews the one-second lease.
    await harness.dataPostgres.mediaJobs.claim(job.id, { lease_owner: 'dead-worker:1', lease_seconds: 1 });
    const done = await harness.waitForJob(job.id, 'succeeded', 15_000);
    expect(done.attempts).toBe(2);
    expect(harness.eventsOf(job.id, 'media.uploaded')[0]).toMatchObject({ producer: 'worker' });
    expect(
      await metric('worker_schedule_items_total', { schedule: 'expired-leases' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('runs a schedule on one replica at a time (the Redis lock)', async () => {
    const registry = new Registry();
    let runs = 0;
    const spec = { name: 'lock-check', intervalMs: 60_000, run: async () => ++runs };
    const deps = {
      locks: harness.worker.locks,
      namespace: `t-${newId().slice(-8)}`,
      logger: quietLogger,
      metrics: createScheduleMetrics(registry),
    };
    const replicas = [startSchedule(spec, deps), startSchedule(spec, deps)];
    const results = await Promise.all(replicas.map((replica) => replica.runOnce()));
    await Promise.all(replicas.map((replica) => replica.stop()));
    expect(results.filter((result) => result === undefined)).toHaveLength(1);
    expect(runs).toBe(1);
    expect(await metricValue(registry, 'worker_schedule_runs_total', { outcome: 'skipped' })).toBe(1);
  });

  it('retention deletes finished photo jobs past the threshold together with their files', async () => {
    const job = await harness.createPhotoJob(owner, await noisyPhoto(100, 100), 'old.jpg', 'image/jpeg');
    await harness.publishUploaded(job);
    const done = await harness.waitForJob(job.id, 'succeeded');
    const live = await harness.createPhotoJob(owner, await noisyPhoto(100, 100), 'live.jpg', 'image/jpeg');
    await sleep(1100);
    const cleanUp = createCleanUpRetention({
      jobs: harness.dataPostgres.mediaJobs,
      blobs: harness.dataMongo.blobs,
      olderThanSeconds: 1,
      limit: 100,
    });
    expect(await cleanUp()).toBeGreaterThanOrEqual(1);
    expect(await harness.dataPostgres.mediaJobs.get(job.id)).toBeNull();
    for (const blob of [done.original.blob_id, done.result?.blob_id, done.result?.thumbnail_blob_id]) {
      expect(await harness.dataMongo.blobs.get(blob as string)).toBeUndefined();
    }
    expect(await harness.dataPostgres.mediaJobs.get(live.id)).not.toBeNull();
    expect(await harness.dataMongo.blobs.get(live.original.blob_id)).toBeDefined();
  });
});

const NOTES = 'The boiler needs descaling every three months.\n\nUse citric acid, never vinegar.';

const waitForDocument = (id: string, status: KnowledgeDocument['status']) =>
  waitForStatus(`document ${id}`, () => harness.dataPostgres.documents.get(id), status);

describe('schedules of document jobs', () => {
  it('publish document.uploaded again for a job left queued, and the document is indexed', async () => {
    const { job, document } = await harness.createDocumentJob(owner, NOTES);
    const id = (document as KnowledgeDocument).id;
    const indexed = await waitForDocument(id, 'indexed');
    expect(indexed.chunk_count).toBeGreaterThan(0);
    expect(await harness.waitForJob(job.id, 'succeeded')).toMatchObject({ attempts: 1 });
    expect(harness.documentEventsOf(id, 'document.uploaded')[0]).toMatchObject({
      producer: 'worker',
      user_id: owner,
      data: {
        document_id: id,
        owner_id: owner,
        job_id: job.id,
        blob_id: job.original.blob_id,
        title: job.original.filename,
        content_type: 'text/plain',
        size_bytes: job.original.size_bytes,
      },
    });
    await waitFor('document.indexed', () => harness.documentEventsOf(id, 'document.indexed').length === 1);
  });

  it('re-queue a document job whose worker died holding its lease, and the document is indexed', async () => {
    const { job, document } = await harness.createDocumentJob(owner, NOTES);
    await harness.dataPostgres.mediaJobs.claim(job.id, { lease_owner: 'dead-worker:2', lease_seconds: 1 });
    await waitForDocument((document as KnowledgeDocument).id, 'indexed');
    expect(await harness.waitForJob(job.id, 'succeeded')).toMatchObject({ attempts: 2 });
  });

  it('fail the document of a job whose last lease expired, with the job error, and announce document.failed', async () => {
    const { job, document } = await harness.createDocumentJob(owner, NOTES, { maxAttempts: 1 });
    const id = (document as KnowledgeDocument).id;
    await harness.dataPostgres.mediaJobs.claim(job.id, { lease_owner: 'dead-worker:3', lease_seconds: 1 });
    const failed = await waitForDocument(id, 'failed');
    const finishedJob = await harness.waitForJob(job.id, 'failed');
    expect(failed.error).toEqual(finishedJob.error);
    expect(failed.error?.code).toBe('JOB.LEASE_EXPIRED');
    await waitFor('document.failed', () => harness.documentEventsOf(id, 'document.failed').length === 1);
    expect(harness.documentEventsOf(id, 'document.failed')[0]?.data).toMatchObject({
      error: finishedJob.error,
      attempts: 1,
    });
    expect(harness.documentEventsOf(id, 'document.uploaded')).toHaveLength(0);
  });

  it('settle a job left open for a document that is already indexed, without announcing it again', async () => {
    const { job, document } = await harness.createDocumentJob(owner, NOTES);
    const id = (document as KnowledgeDocument).id;
    // A slow worker indexed the document after its lease was taken back; the job went back to queued.
    await harness.dataPostgres.documents.patch(id, { status: 'indexed', chunk_count: 7 });
    await harness.waitForJob(job.id, 'succeeded');
    expect(harness.documentEventsOf(id, 'document.uploaded').length).toBeGreaterThanOrEqual(1);
    expect(await harness.dataPostgres.documents.get(id)).toMatchObject({ status: 'indexed', chunk_count: 7 });
    expect(harness.documentEventsOf(id, 'document.indexed')).toHaveLength(0);
  });

  it('delete a document job without a document, with its file', async () => {
    const { job } = await harness.createDocumentJob(owner, NOTES, { withDocument: false });
    await waitFor(
      'the orphan job deleted',
      async () => (await harness.dataPostgres.mediaJobs.get(job.id)) === null,
    );
    expect(await harness.dataMongo.blobs.get(job.original.blob_id)).toBeUndefined();
  });
});
