import type { MediaJob } from '@flotilla/contracts';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../../../packages/platform/test/component/messaging-broker.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import {
  headerOnlyPng,
  jpegWithOrientation6,
  noisyPhoto,
  pngWithAlpha,
  truncatedJpeg,
} from '../support/photo-fixtures.js';
import { startWorkerHarness, type WorkerHarness, waitFor } from '../support/worker-harness.js';

const MEDIA_QUEUE = 'q.worker.media';
let harness: WorkerHarness;
let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
let failUploads = 0;
/** The status the proxy answers to the uploads it fails: 503 (unavailable) or 500 (a server error). */
let failStatus = 503;
let owner: string;

async function download(id: string): Promise<Buffer> {
  const file = await harness.dataMongo.blobs.download(id);
  const chunks: Buffer[] = [];
  for await (const chunk of file.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function process(bytes: Buffer, filename: string, contentType: string): Promise<MediaJob> {
  const job = await harness.createPhotoJob(owner, bytes, filename, contentType);
  expect(job.status).toBe('queued');
  await harness.publishUploaded(job);
  return job;
}

const consumed = (outcome: string) =>
  metricValue(harness.worker.runtime.metrics.registry, 'messages_consumed_total', {
    queue: MEDIA_QUEUE,
    outcome,
  });

beforeAll(async () => {
  harness = await startWorkerHarness({
    label: 'worker-photos',
    async dataMongoUrlForWorker(url) {
      proxy = await startFaultProxy(url, (request) => {
        if (request.method !== 'POST' || !request.url?.startsWith('/api/v1/blobs') || failUploads === 0)
          return false;
        failUploads -= 1;
        return failStatus;
      });
      return proxy.url;
    },
  });
  owner = await harness.createUser();
});

afterAll(async () => {
  await harness?.stop();
  await proxy?.close();
});

describe('photo processing', () => {
  it('shows a photo with EXIF orientation 6 upright, with swapped dimensions and no metadata left', async () => {
    const original = await jpegWithOrientation6();
    expect((await sharp(original).metadata()).orientation).toBe(6);
    const job = await process(original, 'turned.jpg', 'image/jpeg');

    const done = await harness.waitForJob(job.id, 'succeeded');
    const result = done.result ?? {};
    expect(result).toMatchObject({
      content_type: 'image/jpeg',
      original_width: 200,
      original_height: 300,
      height: 256,
    });
    expect(result.width).toBeGreaterThanOrEqual(170);
    expect(result.width).toBeLessThanOrEqual(171);
    expect(done.progress).toBe(100);
    expect(done.attempts).toBe(1);
    expect(result.bytes_saved).toBe(original.length - (result.size_bytes ?? 0));

    const output = await download(result.blob_id as string);
    expect(output.length).toBe(result.size_bytes);
    const meta = await sharp(output).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: result.width, height: 256 });
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    // Upright: the red left half of the stored image is now on top.
    const { data, info } = await sharp(output).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3),
    ];
    const [topRed, , topBlue] = pixel(Math.floor(info.width / 2), 20) as [number, number, number];
    const [bottomRed, , bottomBlue] = pixel(Math.floor(info.width / 2), info.height - 20) as [
      number,
      number,
      number,
    ];
    expect(topRed).toBeGreaterThan(200);
    expect(topBlue).toBeLessThan(60);
    expect(bottomBlue).toBeGreaterThan(200);
    expect(bottomRed).toBeLessThan(60);

    const thumbnail = await sharp(await download(result.thumbnail_blob_id as string)).metadata();
    expect(thumbnail.height).toBe(64);
    expect(thumbnail.exif).toBeUndefined();

    await waitFor('media.succeeded', () => harness.eventsOf(job.id, 'media.succeeded').length === 1);
    const types = harness.eventsOf(job.id).map((event) => event.event_type);
    expect(types).toEqual(['media.uploaded', 'media.processing', 'media.succeeded']);
    const [, processing, succeeded] = harness.eventsOf(job.id);
    expect(processing?.data).toMatchObject({ job_id: job.id, attempt: 1 });
    expect(succeeded?.data).toMatchObject({
      job_id: job.id,
      owner_id: owner,
      original_size_bytes: original.length,
      bytes_saved: result.bytes_saved,
      attempts: 1,
      result: { blob_id: result.blob_id, thumbnail_blob_id: result.thumbnail_blob_id },
    });
  });

  it('flattens a PNG with alpha into a JPEG and never enlarges a small photo', async () => {
    const job = await process(await pngWithAlpha(), 'alpha.png', 'image/png');
    const done = await harness.waitForJob(job.id, 'succeeded');
    expect(done.result).toMatchObject({ width: 64, height: 48, original_width: 64, original_height: 48 });
    const meta = await sharp(await download(done.result?.blob_id as string)).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', channels: 3, hasAlpha: false, width: 64, height: 48 });
  });

  it('re-encodes a WebP photo scaled down to the maximum edge', async () => {
    const input = await noisyPhoto(500, 400, 'webp');
    const job = await process(input, 'noisy.webp', 'image/webp');
    const done = await harness.waitForJob(job.id, 'succeeded');
    expect(done.result).toMatchObject({ width: 256, original_width: 500, original_height: 400 });
    expect(done.result?.height).toBeGreaterThanOrEqual(204);
    expect(done.result?.height).toBeLessThanOrEqual(205);
    expect((await sharp(await download(done.result?.blob_id as string)).metadata()).format).toBe('jpeg');
  });

  it('when a JPEG is truncated, the job fails with MEDIA.CORRUPT and is not retried', async () => {
    const retriedBefore = await metricValue(
      harness.worker.runtime.metrics.registry,
      'messages_retried_total',
      {
        queue: MEDIA_QUEUE,
      },
    );
    const job = await process(await truncatedJpeg(), 'cut.jpg', 'image/jpeg');
    const failed = await harness.waitForJob(job.id, 'failed');
    expect(failed.error?.code).toBe('MEDIA.CORRUPT');
    expect(failed.attempts).toBe(1);
    expect(failed.result).toBeNull();
    await waitFor('media.failed', () => harness.eventsOf(job.id, 'media.failed').length === 1);
    expect(harness.eventsOf(job.id, 'media.failed')[0]?.data).toMatchObject({
      job_id: job.id,
      error: { code: 'MEDIA.CORRUPT' },
      attempts: 1,
    });
    expect(
      await metricValue(harness.worker.runtime.metrics.registry, 'messages_retried_total', {
        queue: MEDIA_QUEUE,
      }),
    ).toBe(retriedBefore);
    expect(await harness.vhost.ready(`${MEDIA_QUEUE}.dlq`)).toBe(0);
  });

  it('when a PNG claims 50000x50000 pixels, the job fails at once with MEDIA.TOO_MANY_PIXELS, not retried', async () => {
    const bomb = headerOnlyPng(50_000, 50_000);
    expect((await sharp(bomb, { limitInputPixels: false }).metadata()).width).toBe(50_000);
    const job = await process(bomb, 'bomb.png', 'image/png');
    const failed = await harness.waitForJob(job.id, 'failed', 10_000);
    expect(failed.error?.code).toBe('MEDIA.TOO_MANY_PIXELS');
    expect(failed.attempts).toBe(1);
    await waitFor('media.failed', () => harness.eventsOf(job.id, 'media.failed').length === 1);
    expect(harness.eventsOf(job.id, 'media.processing')).toHaveLength(1);
  });

  it('when data-mongo is unavailable while the result is stored, the job is given back without using an attempt and succeeds', async () => {
    const uploadsBefore = await harness.blobUploads();
    const deferredBefore = await consumed('deferred');
    failUploads = 1;
    const job = await process(await noisyPhoto(300, 300), 'retry.jpg', 'image/jpeg');
    const done = await harness.waitForJob(job.id, 'succeeded');
    expect(failUploads).toBe(0);
    expect(proxy.injected()).toBeGreaterThanOrEqual(1);
    expect(done.attempts).toBe(1);
    expect(await consumed('deferred')).toBe(deferredBefore + 1);
    await waitFor('media.succeeded', () => harness.eventsOf(job.id, 'media.succeeded').length === 1);
    // Both tries announced processing; the second is still the job's first attempt.
    expect(harness.eventsOf(job.id, 'media.processing').map((event) => event.data)).toMatchObject([
      { attempt: 1 },
      { attempt: 1 },
    ]);
    // the upload of the test's original + the result and the thumbnail of the try that succeeded
    expect((await harness.blobUploads()) - uploadsBefore).toBe(3);
  });

  it('a redelivered or repeated media.uploaded of a finished job changes nothing and stores nothing', async () => {
    const job = await harness.createPhotoJob(owner, await noisyPhoto(320, 200), 'twice.jpg', 'image/jpeg');
    const envelope = await harness.publishUploaded(job);
    const done = await harness.waitForJob(job.id, 'succeeded');
    await waitFor('media.succeeded', () => harness.eventsOf(job.id, 'media.succeeded').length === 1);
    const uploads = await harness.blobUploads();
    const acked = await consumed('ack');
    const duplicates = await consumed('duplicate');

    await harness.publisher.publishEnvelope(envelope); // same event id: a redelivery
    await harness.publishUploaded(job); // a new event for the same job: e.g. a re-publish
    await waitFor(
      'both handled',
      async () => (await consumed('duplicate')) === duplicates + 1 && (await consumed('ack')) === acked + 1,
    );

    const after = await harness.dataPostgres.mediaJobs.get(job.id);
    expect(after).toEqual(done);
    expect(await harness.blobUploads()).toBe(uploads);
    expect(harness.eventsOf(job.id, 'media.succeeded')).toHaveLength(1);
    expect(harness.eventsOf(job.id, 'media.processing')).toHaveLength(1);
  });

  it('while data-mongo stays unavailable, the message waits without using attempts or being dead-lettered, and the photo is processed once it is back', async () => {
    const deferredBefore = await consumed('deferred');
    failUploads = 1000;
    let job: MediaJob;
    try {
      job = await process(await noisyPhoto(200, 200), 'later.jpg', 'image/jpeg');
      // More deferrals than the queue has retry delays: an attempt-counting retry would have given up.
      await waitFor(
        'several deferrals',
        async () => (await consumed('deferred')) >= deferredBefore + 4,
        20_000,
      );
      const waiting = await harness.dataPostgres.mediaJobs.get(job.id);
      expect(waiting).toMatchObject({ status: 'queued', attempts: 0 });
      expect(waiting?.error?.code).toBe('UPSTREAM.HTTP_ERROR');
      expect(await harness.vhost.ready(`${MEDIA_QUEUE}.dlq`)).toBe(0);
      expect(harness.eventsOf(job.id, 'media.failed')).toHaveLength(0);
    } finally {
      failUploads = 0;
    }
    const done = await harness.waitForJob(job.id, 'succeeded', 20_000);
    expect(done.attempts).toBe(1);
    expect(done.error).toBeNull();
  });

  it('when storing keeps failing with a server error (500), the job ends failed after its attempts and the message is dead-lettered', async () => {
    failUploads = 1000;
    failStatus = 500;
    try {
      const job = await process(await noisyPhoto(200, 200), 'never.jpg', 'image/jpeg');
      const failed = await harness.waitForJob(job.id, 'failed');
      expect(failed.error?.code).toBe('MEDIA.RETRIES_EXHAUSTED');
      expect(failed.attempts).toBe(3);
      await waitFor('media.failed', () => harness.eventsOf(job.id, 'media.failed').length === 1);
      expect(harness.eventsOf(job.id, 'media.failed')[0]?.data).toMatchObject({
        error: { code: 'MEDIA.RETRIES_EXHAUSTED' },
        attempts: 3,
      });
      await waitFor('the dead letter', async () => (await harness.vhost.ready(`${MEDIA_QUEUE}.dlq`)) === 1);
    } finally {
      failUploads = 0;
      failStatus = 503;
    }
  });

  it('serves readiness and the media metrics', async () => {
    const ready = await harness.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    const metrics = (await harness.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/worker_media_jobs_total\{kind="photo",status="succeeded",code="",[^}]*\} [1-9]/);
    expect(metrics).toMatch(
      /worker_media_jobs_total\{kind="photo",status="failed",code="MEDIA.CORRUPT",[^}]*\} 1/,
    );
    expect(metrics).toMatch(
      /worker_media_processing_duration_seconds_count\{[^}]*kind="photo",status="succeeded"\} [1-9]/,
    );
    expect(metrics).toMatch(/worker_media_bytes_saved_total\{kind="photo"[^}]*\} [1-9]/);
  });
});
