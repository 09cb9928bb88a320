import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { MediaJob } from '@flotilla/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness, type TestUser } from '../support/api-harness.js';
import { COVERED_ROUTES } from '../support/covered-routes.js';
import { pngImage } from '../support/media-fixtures.js';
import { fileForm } from '../support/media-multipart.js';
import { expectRoutesHit } from '../support/route-coverage.js';

let harness: ApiHarness;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  harness = await startApiHarness({ label: 'media-jobs' });
  [alice, bob] = await Promise.all([harness.registerAndLogin(), harness.registerAndLogin()]);
});
afterAll(async () => {
  if (harness) expectRoutesHit(harness.hits, COVERED_ROUTES['media-jobs.test.ts']);
  await harness?.stop();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function uploadPhoto(user: TestUser, photo = pngImage(12, 12), name = 'photo.png'): Promise<MediaJob> {
  const form = fileForm(name, photo);
  const response = await harness.inject({
    method: 'POST',
    url: '/api/v1/media',
    payload: form.payload,
    headers: { ...user.headers, ...form.headers },
  });
  expect(response.statusCode).toBe(202);
  return (await harness.deps.dataPostgres.mediaJobs.get(response.json().id)) as MediaJob;
}

/** Plays the worker: claims the job, stores a result and a thumbnail, completes it. */
async function completeAsWorker(job: MediaJob, result: Buffer, thumbnail: Buffer): Promise<MediaJob> {
  const { mediaJobs } = harness.deps.dataPostgres;
  const { blobs } = harness.deps.dataMongo;
  const lease = { lease_owner: `test-worker:${job.id}`, lease_seconds: 60 };
  await mediaJobs.claim(job.id, lease);
  const meta = { owner_id: job.owner_id };
  const stored = await blobs.upload(Readable.from([result]), {
    ...meta,
    filename: 'result.webp',
    content_type: 'image/webp',
  });
  const thumb = await blobs.upload(Readable.from([thumbnail]), {
    ...meta,
    filename: 'thumb.webp',
    content_type: 'image/webp',
  });
  return mediaJobs.complete(job.id, {
    lease_owner: lease.lease_owner,
    result: {
      blob_id: stored.id,
      content_type: 'image/webp',
      size_bytes: result.length,
      width: 12,
      height: 12,
      thumbnail_blob_id: thumb.id,
      thumbnail_size_bytes: thumbnail.length,
      bytes_saved: job.original.size_bytes - result.length,
    },
  });
}

describe("reading one's jobs", () => {
  it('lists only my own jobs, newest first, by status and kind, page by page', async () => {
    const first = await uploadPhoto(alice);
    const second = await uploadPhoto(alice);
    await uploadPhoto(bob);
    const page1 = await harness.inject({ url: '/api/v1/media?limit=1', headers: alice.headers });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().items.map((job: MediaJob) => job.id)).toEqual([second.id]);
    const page2 = await harness.inject({
      url: `/api/v1/media?limit=1&cursor=${page1.json().next_cursor}`,
      headers: alice.headers,
    });
    expect(page2.json().items.map((job: MediaJob) => job.id)).toEqual([first.id]);

    const queued = await harness.inject({
      url: '/api/v1/media?status=queued&kind=photo',
      headers: alice.headers,
    });
    const ids = queued.json().items.map((job: MediaJob) => job.id);
    expect(ids).toEqual(expect.arrayContaining([first.id, second.id]));
    const done = await harness.inject({ url: '/api/v1/media?status=succeeded', headers: alice.headers });
    expect(done.json().items).toEqual([]);
  });

  it('answers 422 for a bad filter or cursor', async () => {
    const badStatus = await harness.inject({ url: '/api/v1/media?status=lost', headers: alice.headers });
    expect(badStatus.statusCode).toBe(422);
    const badLimit = await harness.inject({ url: '/api/v1/media?limit=500', headers: alice.headers });
    expect(badLimit.statusCode).toBe(422);
    const badCursor = await harness.inject({
      url: '/api/v1/media?cursor=bm90LWEtY3Vyc29y',
      headers: alice.headers,
    });
    expect(badCursor.statusCode).toBe(422);
  });

  it('shows a job with its status, progress, attempts, error and result, without internal ids', async () => {
    const job = await uploadPhoto(alice);
    const response = await harness.inject({ url: `/api/v1/media/${job.id}`, headers: alice.headers });
    expect(response.statusCode).toBe(200);
    const view = response.json();
    expect(view).toMatchObject({
      id: job.id,
      status: 'queued',
      progress: 0,
      attempts: 0,
      error: null,
      result: null,
    });
    expect(JSON.stringify(view)).not.toContain(job.original.blob_id);
    expect(view).not.toHaveProperty('lease_owner');
  });

  it("answers 404 for someone else's job, as for a job that does not exist, and 422 for a bad id", async () => {
    const job = await uploadPhoto(alice);
    for (const url of [`/api/v1/media/${job.id}`, `/api/v1/media/${job.id}/original`]) {
      const response = await harness.inject({ url, headers: bob.headers });
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('MEDIA.NOT_FOUND');
    }
    const foreignDelete = await harness.inject({
      method: 'DELETE',
      url: `/api/v1/media/${job.id}`,
      headers: bob.headers,
    });
    expect(foreignDelete.statusCode).toBe(404);
    expect(await harness.deps.dataPostgres.mediaJobs.get(job.id)).not.toBeNull();

    const unknown = await harness.inject({
      url: '/api/v1/media/0190a6e4-0000-7000-8000-000000000000',
      headers: alice.headers,
    });
    expect(unknown.statusCode).toBe(404);
    const malformed = await harness.inject({ url: '/api/v1/media/not-a-uuid', headers: alice.headers });
    expect(malformed.statusCode).toBe(422);
    const anonymous = await harness.inject({ url: `/api/v1/media/${job.id}` });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe("downloading a job's files", () => {
  it('streams the original with its type and ETag, answers 304 to a matching If-None-Match, and passes a Range on', async () => {
    const photo = pngImage(20, 20);
    const job = await uploadPhoto(alice, photo, 'sunset.png');
    const url = `/api/v1/media/${job.id}/original`;
    const response = await harness.inject({ url, headers: alice.headers });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.headers.etag).toBe(`"${sha256(photo)}"`);
    expect(response.headers['content-disposition']).toContain('sunset.png');
    expect(response.rawPayload).toEqual(photo);

    const cached = await harness.inject({
      url,
      headers: { ...alice.headers, 'if-none-match': response.headers.etag as string },
    });
    expect(cached.statusCode).toBe(304);
    expect(cached.rawPayload.length).toBe(0);
    const stale = await harness.inject({ url, headers: { ...alice.headers, 'if-none-match': '"other"' } });
    expect(stale.statusCode).toBe(200);

    const partial = await harness.inject({ url, headers: { ...alice.headers, range: 'bytes=0-7' } });
    expect(partial.statusCode).toBe(206);
    expect(partial.headers['content-range']).toBe(`bytes 0-7/${photo.length}`);
    expect(partial.rawPayload).toEqual(photo.subarray(0, 8));
    const beyond = await harness.inject({
      url,
      headers: { ...alice.headers, range: `bytes=${photo.length + 10}-` },
    });
    expect(beyond.statusCode).toBe(416);
  });

  it('answers 404 MEDIA.FILE_NOT_READY for the result and thumbnail until the job has them, then streams them', async () => {
    const job = await uploadPhoto(alice);
    for (const file of ['result', 'thumbnail']) {
      const early = await harness.inject({ url: `/api/v1/media/${job.id}/${file}`, headers: alice.headers });
      expect(early.statusCode).toBe(404);
      expect(early.json().code).toBe('MEDIA.FILE_NOT_READY');
    }
    const result = Buffer.from('RIFF....WEBPVP8 result bytes');
    const thumbnail = Buffer.from('RIFF....WEBPVP8 thumb');
    await completeAsWorker(job, result, thumbnail);

    const view = (await harness.inject({ url: `/api/v1/media/${job.id}`, headers: alice.headers })).json();
    expect(view).toMatchObject({
      status: 'succeeded',
      result: { content_type: 'image/webp', size_bytes: result.length, width: 12, height: 12 },
      links: { result: `/api/v1/media/${job.id}/result`, thumbnail: `/api/v1/media/${job.id}/thumbnail` },
    });
    const got = await harness.inject({ url: `/api/v1/media/${job.id}/result`, headers: alice.headers });
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/webp');
    expect(got.rawPayload).toEqual(result);

    const thumb = await harness.inject({ url: `/api/v1/media/${job.id}/thumbnail`, headers: alice.headers });
    expect(thumb.statusCode).toBe(200);
    expect(thumb.rawPayload).toEqual(thumbnail);
    expect(thumb.headers.etag).toBe(`"${sha256(thumbnail)}"`);
    const again = await harness.inject({
      url: `/api/v1/media/${job.id}/thumbnail`,
      headers: { ...alice.headers, 'if-none-match': thumb.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);
    expect(again.headers.etag).toBe(thumb.headers.etag);
  });
});

describe('deleting a job', () => {
  it('removes the job and every file it refers to', async () => {
    const job = await uploadPhoto(alice);
    const done = await completeAsWorker(job, Buffer.from('result'), Buffer.from('thumb'));
    const response = await harness.inject({
      method: 'DELETE',
      url: `/api/v1/media/${job.id}`,
      headers: alice.headers,
    });
    expect(response.statusCode).toBe(204);
    expect(await harness.deps.dataPostgres.mediaJobs.get(job.id)).toBeNull();
    for (const blobId of [done.original.blob_id, done.result?.blob_id, done.result?.thumbnail_blob_id]) {
      expect(await harness.deps.dataMongo.blobs.get(blobId as string)).toBeUndefined();
    }
    const again = await harness.inject({
      method: 'DELETE',
      url: `/api/v1/media/${job.id}`,
      headers: alice.headers,
    });
    expect(again.statusCode).toBe(404);
  });
});
