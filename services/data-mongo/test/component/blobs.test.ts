import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import type { BlobMetadata } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService, testDatabaseName } from '../support/test-service.js';

const LIMIT = 1024 * 1024;
const owner = newId();
let service: TestService;

beforeAll(async () => {
  service = await startTestService(testDatabaseName('dm_blobs'), { BLOB_MAX_BYTES: String(LIMIT) });
});
afterAll(() => service?.close());

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function upload(
  payload: Buffer | string | Readable,
  query = `filename=notes.txt&owner_id=${owner}`,
  contentType = 'text/plain',
) {
  return service.app.inject({
    method: 'POST',
    url: `/api/v1/blobs?${query}`,
    headers: { ...service.auth, 'content-type': contentType },
    payload,
  });
}

function download(id: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  return service.app.inject({
    method,
    url: `/api/v1/blobs/${id}/content`,
    headers: { ...service.auth, ...headers },
  });
}

async function storedCounts(id: string) {
  const { db } = service.deps.mongo;
  return {
    files: await db.collection('blobs.files').countDocuments({ _id: id as never }),
    chunks: await db.collection('blobs.chunks').countDocuments({ files_id: id as never }),
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function allStoredCounts() {
  const { db } = service.deps.mongo;
  return {
    files: await db.collection('blobs.files').countDocuments(),
    chunks: await db.collection('blobs.chunks').countDocuments(),
  };
}

describe('a stored file', () => {
  // Larger than one GridFS chunk (255 KiB), so ranges cross chunk boundaries.
  const content = Buffer.from(Array.from({ length: 700_000 }, (_, i) => (i * 7) % 251));
  let blob: BlobMetadata;

  beforeAll(async () => {
    const response = await upload(
      content,
      `filename=${encodeURIComponent('été 2026.bin')}&owner_id=${owner}`,
      'image/webp',
    );
    expect(response.statusCode).toBe(201);
    blob = response.json();
    expect(response.headers.location).toBe(`/api/v1/blobs/${blob.id}`);
  });

  it('is recorded with its name, type, size, SHA-256 and owner, under a UUID v7', async () => {
    expect(blob).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      filename: 'été 2026.bin',
      content_type: 'image/webp',
      size: content.length,
      sha256: sha256(content),
      owner_id: owner,
      created_at: expect.any(String),
    });
    const metadata = await service.app.inject({
      method: 'GET',
      url: `/api/v1/blobs/${blob.id}`,
      headers: service.auth,
    });
    expect(metadata.statusCode).toBe(200);
    expect(metadata.json()).toEqual(blob);
  });

  it('downloads whole with Content-Type, Content-Length and the SHA-256 as ETag', async () => {
    const response = await download(blob.id);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/webp');
    expect(response.headers['content-length']).toBe(String(content.length));
    expect(response.headers.etag).toBe(`"${blob.sha256}"`);
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.rawPayload.equals(content)).toBe(true);
  });

  it.each([
    ['a closed range across a chunk boundary', 'bytes=261000-262000', 261_000, 262_000],
    ['an open range', 'bytes=699990-', 699_990, 699_999],
    ['a suffix', 'bytes=-100', 699_900, 699_999],
    ['a range past the end (clamped)', 'bytes=699000-9999999', 699_000, 699_999],
    ['the first byte', 'bytes=0-0', 0, 0],
  ])('answers %s with 206 and Content-Range', async (_case, range, start, end) => {
    const response = await download(blob.id, { range });
    expect(response.statusCode).toBe(206);
    expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/${content.length}`);
    expect(response.headers['content-length']).toBe(String(end - start + 1));
    expect(response.rawPayload.equals(content.subarray(start, end + 1))).toBe(true);
  });

  it.each([
    ['a range starting past the end', 'bytes=700000-'],
    ['an empty suffix', 'bytes=-0'],
  ])('answers %s with 416, the size in Content-Range and a problem', async (_case, range) => {
    const response = await download(blob.id, { range });
    expect(response.statusCode).toBe(416);
    expect(response.headers['content-range']).toBe(`bytes */${content.length}`);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 416, code: 'BLOB.RANGE_NOT_SATISFIABLE' });
  });

  it.each([
    ['several ranges', 'bytes=0-1,5-9'],
    ['another unit', 'items=0-1'],
    ['a malformed range', 'bytes=abc'],
  ])('ignores %s and sends the whole file', async (_case, range) => {
    const response = await download(blob.id, { range });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.length).toBe(content.length);
  });

  it('honours If-Range only when it names the current ETag', async () => {
    const same = await download(blob.id, { range: 'bytes=0-9', 'if-range': `"${blob.sha256}"` });
    expect(same.statusCode).toBe(206);
    const stale = await download(blob.id, { range: 'bytes=0-9', 'if-range': '"something-else"' });
    expect(stale.statusCode).toBe(200);
    expect(stale.rawPayload.length).toBe(content.length);
  });

  it('answers 304 to If-None-Match with its ETag', async () => {
    const response = await download(blob.id, { 'if-none-match': `"${blob.sha256}"` });
    expect(response.statusCode).toBe(304);
    expect(response.rawPayload.length).toBe(0);
  });

  it('answers HEAD with the headers only', async () => {
    const response = await download(blob.id, {}, 'HEAD');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-length']).toBe(String(content.length));
    expect(response.rawPayload.length).toBe(0);
  });

  it('counts the bytes in and out in blob_bytes_total', async () => {
    const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/blob_bytes_total\{direction="in",service="data-mongo"\} [1-9]\d*/);
    expect(metrics.body).toMatch(/blob_bytes_total\{direction="out",service="data-mongo"\} [1-9]\d*/);
  });
});

describe('uploads', () => {
  it('stores a JSON file as it is, without parsing it', async () => {
    const json = '{"not": "parsed", ';
    const response = await upload(json, `filename=data.json&owner_id=${owner}`, 'application/json');
    expect(response.statusCode).toBe(201);
    const body = await download(response.json().id);
    expect(body.headers['content-type']).toBe('application/json');
    expect(body.body).toBe(json);
  });

  it('defaults the content type to application/octet-stream', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: `/api/v1/blobs?filename=raw&owner_id=${owner}`,
      headers: service.auth,
      payload: Readable.from([Buffer.from('abc')]),
    });
    expect(response.statusCode).toBe(201);
    expect(response.json().content_type).toBe('application/octet-stream');
  });

  it('stores an empty file; any range of it is unsatisfiable', async () => {
    const response = await upload(Buffer.alloc(0), `filename=empty&owner_id=${owner}`);
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)) });
    const whole = await download(response.json().id);
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-length']).toBe('0');
    expect((await download(response.json().id, { range: 'bytes=0-' })).statusCode).toBe(416);
  });

  it('refuses a file declared larger than the limit with 413, before reading it', async () => {
    const before = await allStoredCounts();
    const response = await upload(Buffer.alloc(LIMIT + 1, 1), `filename=big.bin&owner_id=${owner}`);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'BLOB.TOO_LARGE' });
    expect(await allStoredCounts()).toEqual(before);
  });

  it('stops a streamed file at the first byte past the limit: 413, and nothing stored', async () => {
    const before = await allStoredCounts();
    const pieces = Array.from({ length: 40 }, () => Buffer.alloc(64 * 1024, 2));
    const response = await upload(Readable.from(pieces), `filename=big.bin&owner_id=${owner}`);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'BLOB.TOO_LARGE', status: 413 });
    expect(await allStoredCounts()).toEqual(before);
  });

  it('deletes an upload whose caller left before the answer: nothing is left behind', {
    timeout: 90_000,
  }, async () => {
    await service.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = service.app.server.address() as AddressInfo;
    const before = await allStoredCounts();
    const bytesIn = async () => {
      const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
      return Number(/blob_bytes_total\{direction="in",[^}]*\} (\d+)/.exec(metrics.body)?.[1] ?? 0);
    };
    const body = Buffer.alloc(600 * 1024, 5);
    const head =
      `POST /api/v1/blobs?filename=gone.bin&owner_id=${owner} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `Authorization: ${service.auth.authorization}\r\nContent-Type: application/octet-stream\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`;
    const sendAndLeave = () =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          // The whole file is sent, then the caller gives up without reading the answer.
          socket.write(Buffer.concat([Buffer.from(head), body]), () => {
            socket.destroy();
            resolve();
          });
        });
        socket.on('error', reject);
      });
    // Usually the whole file has been read when the caller leaves: data-mongo stores it, then, finding its
    // caller gone, deletes it. On a loaded machine data-mongo can see the caller leave while it is still
    // reading the body: that upload is cut short and nothing is stored. Either way nothing may be left
    // behind, and the stored-then-deleted case must happen within a few attempts.
    let storedThenDeleted = false;
    for (let attempt = 0; attempt < 3 && !storedThenDeleted; attempt++) {
      const storedBefore = await bytesIn();
      await sendAndLeave();
      await waitFor(async () => (await bytesIn()) >= storedBefore + body.length);
      storedThenDeleted = (await bytesIn()) >= storedBefore + body.length;
      await waitFor(async () => {
        const counts = await allStoredCounts();
        return counts.files === before.files && counts.chunks === before.chunks;
      });
      expect(await allStoredCounts()).toEqual(before);
    }
    expect(storedThenDeleted).toBe(true);
  });

  it('accepts a file of exactly the limit', async () => {
    const response = await upload(
      Readable.from([Buffer.alloc(LIMIT, 3)]),
      `filename=limit.bin&owner_id=${owner}`,
    );
    expect(response.statusCode).toBe(201);
    expect(response.json().size).toBe(LIMIT);
  });

  it.each([
    ['without a filename', `owner_id=${owner}`, 'text/plain'],
    ['without an owner', 'filename=a.txt', 'text/plain'],
    ['with an owner that is not a UUID', 'filename=a.txt&owner_id=me', 'text/plain'],
    [
      'with a path as filename',
      `filename=${encodeURIComponent('../etc/passwd')}&owner_id=${owner}`,
      'text/plain',
    ],
    ['with an unknown parameter', `filename=a.txt&owner_id=${owner}&public=1`, 'text/plain'],
    [
      'with a content type that has control characters',
      `filename=a.txt&owner_id=${owner}`,
      'text/plain; a=\u0001',
    ],
  ])('refuses an upload %s with 422 and stores nothing', async (_case, query, contentType) => {
    const before = await allStoredCounts();
    const response = await upload('hello', query, contentType);
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ code: 'REQUEST.VALIDATION' });
    expect(await allStoredCounts()).toEqual(before);
  });

  it('refuses a malformed content type with 415', async () => {
    const response = await upload('hello', `filename=a.txt&owner_id=${owner}`, 'not a type');
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE' });
  });
});

describe('deleting', () => {
  it('removes the file document and every chunk; the blob is then gone', async () => {
    const created = (
      await upload(Buffer.alloc(600_000, 4), `filename=gone.bin&owner_id=${owner}`)
    ).json() as BlobMetadata;
    expect((await storedCounts(created.id)).chunks).toBe(3);

    const deleted = await service.app.inject({
      method: 'DELETE',
      url: `/api/v1/blobs/${created.id}`,
      headers: service.auth,
    });
    expect(deleted.statusCode).toBe(204);
    expect(await storedCounts(created.id)).toEqual({ files: 0, chunks: 0 });

    for (const url of [`/api/v1/blobs/${created.id}`, `/api/v1/blobs/${created.id}/content`]) {
      const response = await service.app.inject({ method: 'GET', url, headers: service.auth });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'BLOB.NOT_FOUND' });
    }
    const again = await service.app.inject({
      method: 'DELETE',
      url: `/api/v1/blobs/${created.id}`,
      headers: service.auth,
    });
    expect(again.statusCode).toBe(404);
  });

  it.each(['GET', 'DELETE'] as const)('answers %s with an id that is not a UUID with 422', async (method) => {
    const response = await service.app.inject({
      method,
      url: '/api/v1/blobs/not-a-uuid',
      headers: service.auth,
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toContainEqual({ field: '/params/id', message: expect.any(String) });
  });
});
