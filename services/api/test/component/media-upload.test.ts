import { createHash } from 'node:crypto';
import type { MediaUploadedData } from '@flotilla/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness, type TestUser } from '../support/api-harness.js';
import { COVERED_ROUTES } from '../support/covered-routes.js';
import {
  elfExecutable,
  jpegLike,
  pdfDocument,
  pngImage,
  windowsExecutable,
} from '../support/media-fixtures.js';
import { blobsDeletedByApi, fileForm, multipartBody, storedBlobBytes } from '../support/media-multipart.js';
import { expectRoutesHit } from '../support/route-coverage.js';

const MAX_BYTES = 256 * 1024;

let harness: ApiHarness;
let alice: TestUser;

beforeAll(async () => {
  harness = await startApiHarness({
    label: 'media-upload',
    env: { MEDIA_MAX_UPLOAD_BYTES: String(MAX_BYTES) },
  });
  alice = await harness.registerAndLogin();
});
afterAll(async () => {
  if (harness) expectRoutesHit(harness.hits, COVERED_ROUTES['media-upload.test.ts']);
  await harness?.stop();
});

function upload(user: TestUser, form: ReturnType<typeof fileForm>, headers: Record<string, string> = {}) {
  return harness.inject({
    method: 'POST',
    url: '/api/v1/media',
    payload: form.payload,
    headers: { ...user.headers, ...form.headers, ...headers },
  });
}

describe('uploading a photo', () => {
  it('stores it, queues a job, publishes media.uploaded and answers 202 with the job and its Location', async () => {
    const events = await harness.watchEvents('media.uploaded');
    const photo = pngImage(32, 32);
    const response = await upload(alice, fileForm('cat.jpeg', photo, 'application/octet-stream'));

    expect(response.statusCode).toBe(202);
    const job = response.json();
    expect(response.headers.location).toBe(`/api/v1/media/${job.id}`);
    expect(job).toMatchObject({
      kind: 'photo',
      source: 'api',
      status: 'queued',
      progress: 0,
      attempts: 0,
      original: { filename: 'cat.jpeg', content_type: 'image/png', size_bytes: photo.length },
      result: null,
      links: { events: `/api/v1/media/${job.id}/events`, original: `/api/v1/media/${job.id}/original` },
    });

    const event = await events.next((envelope) => (envelope.data as MediaUploadedData).job_id === job.id);
    const data = event.data as MediaUploadedData;
    expect(event.user_id).toBe(alice.user.id);
    expect(data).toMatchObject({ owner_id: alice.user.id, kind: 'photo', source: 'api' });
    const stored = await harness.deps.dataMongo.blobs.get(data.original.blob_id);
    expect(stored).toMatchObject({
      owner_id: alice.user.id,
      content_type: 'image/png',
      size: photo.length,
      sha256: createHash('sha256').update(photo).digest('hex'),
    });
  });

  it('keeps a non-ASCII file name, without any path the client sent', async () => {
    const response = await upload(alice, fileForm('holidays/café ☕.png', pngImage()));
    expect(response.statusCode).toBe(202);
    expect(response.json().original.filename).toBe('café ☕.png');
  });

  it('accepts a file of exactly the limit', async () => {
    const photo = Buffer.concat([jpegLike(0), Buffer.alloc(MAX_BYTES - 12, 7)]);
    expect(photo.length).toBe(MAX_BYTES);
    const response = await upload(alice, fileForm('big.jpg', photo, 'image/jpeg'));
    expect(response.statusCode).toBe(202);
    expect(response.json().original.size_bytes).toBe(MAX_BYTES);
  });
});

describe('refusing what is not a photo', () => {
  it.each([
    ['an ELF executable', elfExecutable()],
    ['a Windows executable', windowsExecutable()],
  ])('answers 415 for %s named .jpg and sent as image/jpeg', async (_name, bytes) => {
    const response = await upload(alice, fileForm('cat.jpg', bytes, 'image/jpeg'));
    expect(response.statusCode).toBe(415);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().code).toBe('MEDIA.UNSUPPORTED_TYPE');
  });

  it('answers 415 for a PDF disguised as a JPEG, pointing to the documents endpoint', async () => {
    const response = await upload(alice, fileForm('cat.jpg', await pdfDocument(), 'image/jpeg'));
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({
      code: 'MEDIA.UNSUPPORTED_TYPE',
      detected_type: 'application/pdf',
      upload_to: '/api/v1/knowledge/documents',
    });
  });

  it('answers 413 for a file over the limit and keeps nothing', async () => {
    const before = await storedBlobBytes(harness.services);
    const photo = Buffer.concat([pngImage(8, 8), Buffer.alloc(MAX_BYTES, 1)]);
    const response = await upload(alice, fileForm('huge.png', photo, 'image/png'));
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'MEDIA.TOO_LARGE', max_bytes: MAX_BYTES });
    expect(await storedBlobBytes(harness.services)).toBe(before);
    const listed = await harness.inject({ url: '/api/v1/media?limit=200', headers: alice.headers });
    expect(
      listed
        .json()
        .items.some((job: { original: { filename: string } }) => job.original.filename === 'huge.png'),
    ).toBe(false);
  });

  it('lets a client streaming an oversized file over a real connection read its 413', async () => {
    const address = await harness.app.listen({ host: '127.0.0.1', port: 0 });
    const form = fileForm('stream.png', Buffer.concat([pngImage(), Buffer.alloc(4 * MAX_BYTES, 3)]));
    const response = await fetch(`${address}/api/v1/media`, {
      method: 'POST',
      headers: { ...alice.headers, ...form.headers },
      body: form.payload,
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: string }).code).toBe('MEDIA.TOO_LARGE');
  });

  it('answers 422 for an empty file, 400 for a form without a file or a broken form, 415 for a body that is not a form', async () => {
    const empty = await upload(alice, fileForm('empty.png', Buffer.alloc(0)));
    expect(empty.statusCode).toBe(422);
    expect(empty.json().code).toBe('MEDIA.EMPTY_FILE');

    const noFile = await upload(alice, multipartBody([{ name: 'title', value: 'no file here' }]));
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().code).toBe('MEDIA.NO_FILE');

    const json = await harness.inject({
      method: 'POST',
      url: '/api/v1/media',
      payload: { file: 'not a file' },
      headers: alice.headers,
    });
    expect(json.statusCode).toBe(415);

    for (const payload of [
      '--cut\r\nContent-Disposition: form-data; name="title"\r\n\r\nno closing boundary',
      '--cut\r\nthis is no part header\r\n\r\n--cut--\r\n',
      '',
    ]) {
      const broken = await harness.inject({
        method: 'POST',
        url: '/api/v1/media',
        payload,
        headers: { ...alice.headers, 'content-type': 'multipart/form-data; boundary=cut' },
      });
      expect(broken.statusCode, JSON.stringify(payload)).toBe(400);
      expect(broken.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('is documented in OpenAPI as a multipart form with a binary file part', async () => {
    const document = (await harness.inject({ url: '/docs/json' })).json();
    const operation = document.paths['/api/v1/media'].post;
    expect(operation.requestBody.content['multipart/form-data'].schema.properties.file).toMatchObject({
      type: 'string',
      format: 'binary',
    });
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['202', '401', '413', '415']));
  });

  it('answers 401 without a valid access token', async () => {
    const response = await harness.inject({
      method: 'POST',
      url: '/api/v1/media',
      ...fileForm('cat.png', pngImage()),
    });
    expect(response.statusCode).toBe(401);
  });
});

describe('retrying an upload with an Idempotency-Key', () => {
  it('replays the first job for the same file and does not keep the retried copy', async () => {
    const photo = pngImage(16, 16);
    const key = `upload-${Date.now()}`;
    const first = await upload(alice, fileForm('retry.png', photo), { 'idempotency-key': key });
    expect(first.statusCode).toBe(202);
    const storedBefore = await storedBlobBytes(harness.services);
    const deletedBefore = await blobsDeletedByApi(harness.deps.runtime.metrics.registry);

    const retry = await upload(alice, fileForm('retry.png', photo), { 'idempotency-key': key });
    expect(retry.statusCode).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(first.json().id);
    expect(retry.headers.location).toBe(first.headers.location);

    // The retry's bytes were stored while streaming, then deleted once the key matched.
    expect(await storedBlobBytes(harness.services)).toBe(storedBefore + photo.length);
    expect(await blobsDeletedByApi(harness.deps.runtime.metrics.registry)).toBe(deletedBefore + 1);
    const jobs = await harness.deps.dataPostgres.mediaJobs.list({ owner_id: alice.user.id, limit: 200 });
    expect(jobs.items.filter((job) => job.original.filename === 'retry.png')).toHaveLength(1);
  });

  it('answers 422 for the same key with another file, and a new key makes a new job', async () => {
    const key = `upload-other-${Date.now()}`;
    const first = await upload(alice, fileForm('a.png', pngImage()), { 'idempotency-key': key });
    const other = await upload(alice, fileForm('a.png', pngImage()), { 'idempotency-key': key });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('IDEMPOTENCY.KEY_REUSED');
    const fresh = await upload(alice, fileForm('a.png', pngImage()), { 'idempotency-key': `${key}-2` });
    expect(fresh.statusCode).toBe(202);
    expect(fresh.json().id).not.toBe(first.json().id);
  });

  it('keeps keys apart per user', async () => {
    const bob = await harness.registerAndLogin();
    const key = `shared-${Date.now()}`;
    const photo = pngImage();
    const mine = await upload(alice, fileForm('k.png', photo), { 'idempotency-key': key });
    const theirs = await upload(bob, fileForm('k.png', photo), { 'idempotency-key': key });
    expect(theirs.statusCode).toBe(202);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.json().id).not.toBe(mine.json().id);
  });

  it('answers 422 for a malformed key', async () => {
    const response = await upload(alice, fileForm('k.png', pngImage()), { 'idempotency-key': 'has space' });
    expect(response.statusCode).toBe(422);
  });
});
