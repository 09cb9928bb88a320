import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobMetadata } from '@flotilla/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../../../packages/platform/test/component/messaging-broker.js';
import {
  createBlobInventory,
  createBlobReferenceCheck,
  createSweepPosition,
} from '../../src/modules/media/adapters/orphan-blob-sweep.adapters.js';
import { createSweepOrphanBlobs } from '../../src/modules/media/application/sweep-orphan-blobs.use-case.js';
import { noisyPhoto } from '../support/photo-fixtures.js';
import { startWorkerHarness, type WorkerHarness, waitFor } from '../support/worker-harness.js';

/** Long enough that a file stored now is still young when an older one has been swept. */
const GRACE_SECONDS = 3;
let harness: WorkerHarness;
let owner: string;

beforeAll(async () => {
  harness = await startWorkerHarness({
    label: 'worker-orphan-blobs',
    env: {
      SCHEDULES_ENABLED: 'true',
      SCHEDULE_ORPHAN_BLOBS_INTERVAL_MS: '300',
      ORPHAN_BLOBS_GRACE_SECONDS: String(GRACE_SECONDS),
    },
  });
  owner = await harness.createUser();
});

afterAll(async () => {
  await harness?.stop();
});

async function storeOrphan(name: string): Promise<BlobMetadata> {
  const bytes = randomBytes(2048);
  return harness.dataMongo.blobs.upload(
    Readable.from(bytes),
    { filename: name, owner_id: owner, content_type: 'application/octet-stream' },
    { contentLength: bytes.length },
  );
}

const exists = async (id: string) => (await harness.dataMongo.blobs.get(id)) !== undefined;

describe('the orphan-blob sweep', () => {
  it('deletes a file no job references once it is past the grace period, and keeps every file a job or document needs', async () => {
    const processed = await harness.createPhotoJob(
      owner,
      await noisyPhoto(120, 90),
      'kept.jpg',
      'image/jpeg',
    );
    await harness.publishUploaded(processed);
    const done = await harness.waitForJob(processed.id, 'succeeded');
    const queued = await harness.createPhotoJob(owner, await noisyPhoto(80, 60), 'waiting.jpg', 'image/jpeg');
    const { job: documentJob } = await harness.createDocumentJob(owner, 'Notes kept with their document.', {
      withDocument: true,
    });
    const orphan = await storeOrphan('abandoned.bin');
    const deletedBefore = await metricValue(
      harness.worker.runtime.metrics.registry,
      'worker_orphan_blobs_deleted_total',
      {},
    );
    await sleep(GRACE_SECONDS * 1000 + 200);
    const young = await storeOrphan('just-stored.bin');

    await waitFor('the old orphan swept', async () => !(await exists(orphan.id)), 10_000);
    expect(await exists(young.id)).toBe(true);
    const needed = [
      done.original.blob_id,
      done.result?.blob_id as string,
      done.result?.thumbnail_blob_id as string,
      queued.original.blob_id,
      documentJob.original.blob_id,
    ];
    for (const id of needed) expect(await exists(id), id).toBe(true);
    expect(
      await metricValue(harness.worker.runtime.metrics.registry, 'worker_orphan_blobs_deleted_total', {}),
    ).toBeGreaterThan(deletedBefore);
    expect(
      await metricValue(harness.worker.runtime.metrics.registry, 'worker_schedule_runs_total', {
        schedule: 'orphan-blobs',
        outcome: 'ran',
      }),
    ).toBeGreaterThan(0);

    // Once the young one is past the grace period too, it goes the same way.
    await waitFor('the young orphan swept', async () => !(await exists(young.id)), 15_000);
    for (const id of needed) expect(await exists(id), id).toBe(true);
  });

  it('walks the store a slice per run, going on where the previous run stopped and starting over at the end', async () => {
    // The schedule stops here, so every deletion below is this walk's own.
    await harness.worker
      .runningSchedules()
      .find((schedule) => schedule.name === 'orphan-blobs')
      ?.stop();
    const job = await harness.createPhotoJob(owner, await noisyPhoto(60, 60), 'walk.jpg', 'image/jpeg');
    const orphans: BlobMetadata[] = [];
    for (let n = 0; n < 4; n += 1) orphans.push(await storeOrphan(`walk-${n}.bin`));
    const namespace = `walk-${randomBytes(4).toString('hex')}`;
    const position = createSweepPosition(harness.worker.redis.client, namespace);
    // Far in the future: every file of the store so far is past its grace period.
    const later = Date.now() + 3_600_000;
    const sweep = createSweepOrphanBlobs({
      inventory: createBlobInventory(harness.dataMongo.blobs),
      references: createBlobReferenceCheck(harness.dataPostgres.mediaJobs),
      position,
      graceSeconds: 60,
      scanLimit: 3,
      pageSize: 2,
      now: () => later,
    });

    const reports = [];
    for (let run = 0; run < 10; run += 1) {
      const report = await sweep();
      reports.push(report);
      expect(report.scanned).toBeLessThanOrEqual(3);
      if (report.wrapped) break;
    }
    expect(reports.length).toBeGreaterThan(1);
    expect(await position.load()).toBeUndefined();
    for (const orphan of orphans) expect(await exists(orphan.id)).toBe(false);
    expect(await exists(job.original.blob_id)).toBe(true);
    const total = reports.reduce((sum, report) => sum + report.deleted, 0);
    expect(total).toBe(orphans.length);
  });
});
