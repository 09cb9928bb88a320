import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createDataMongoClient, type DataMongoClient } from '@flotilla/contracts';
import { isUpstreamHttpError, newId } from '@flotilla/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestStream, generatedBody } from '../support/byte-streams.js';
import { startTestService, type TestService, testDatabaseName } from '../support/test-service.js';

const MIB = 1024 * 1024;
const owner = newId();

/** A full garbage collection on demand, so samples measure live memory rather than garbage. */
setFlagsFromString('--expose_gc');
const collectGarbage = runInNewContext('gc') as () => void;

function liveBytes(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Samples live memory every `intervalMs` while `work` runs; returns its result and the peak growth. */
async function measurePeakGrowth<T>(
  work: () => Promise<T>,
  intervalMs = 250,
): Promise<{ result: T; growth: number }> {
  const baseline = liveBytes();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, liveBytes());
  }, intervalMs);
  try {
    const result = await work();
    peak = Math.max(peak, liveBytes());
    return { result, growth: peak - baseline };
  } finally {
    clearInterval(sampler);
  }
}

describe('streaming through the typed client over real HTTP', () => {
  let service: TestService;
  let client: DataMongoClient;

  beforeAll(async () => {
    service = await startTestService(testDatabaseName('dm_stream'));
    client = createDataMongoClient({
      baseUrl: await service.listen(),
      callerName: 'api',
      serviceToken: service.token,
    });
  });
  afterAll(async () => {
    await client?.close();
    await service?.close();
  });

  it('uploads and downloads a 50 MiB file with bounded memory, byte for byte', {
    timeout: 120_000,
  }, async () => {
    const size = 50 * MIB;
    const body = generatedBody(size);

    const upload = await measurePeakGrowth(() =>
      client.blobs.upload(body.stream, { filename: 'big.bin', owner_id: owner, content_type: 'video/mp4' }),
    );
    const blob = upload.result;
    expect(blob).toMatchObject({ size, sha256: body.sha256(), owner_id: owner, content_type: 'video/mp4' });
    // Client and server run in this process: buffering the file anywhere would show 50 MiB or more.
    expect(upload.growth).toBeLessThan(40 * MIB);

    const download = await measurePeakGrowth(async () => {
      // FerretDB sorts the chunks of a file before the first one is sent: allow for it on a large file.
      const response = await client.blobs.download(blob.id, undefined, { timeoutMs: 60_000 });
      expect(response).toMatchObject({ status: 200, contentLength: size, sha256: blob.sha256 });
      return digestStream(response.body);
    });
    expect(download.result).toEqual({ sha256: blob.sha256, bytes: size });
    expect(download.growth).toBeLessThan(40 * MIB);

    expect(await client.blobs.delete(blob.id)).toBe(true);
    const { db } = service.deps.mongo;
    expect(await db.collection('blobs.chunks').countDocuments({ files_id: blob.id as never })).toBe(0);
  });

  it('downloads one range of a file', async () => {
    const body = generatedBody(300_000);
    const blob = await client.blobs.upload(body.stream, { filename: 'range.bin', owner_id: owner });
    const range = await client.blobs.download(blob.id, { start: 1000, end: 1999 });
    expect(range).toMatchObject({ status: 206, contentLength: 1000, contentRange: 'bytes 1000-1999/300000' });
    expect((await digestStream(range.body)).bytes).toBe(1000);

    const suffix = await client.blobs.download(blob.id, { suffix: 10 });
    expect(suffix.contentRange).toBe('bytes 299990-299999/300000');
    await digestStream(suffix.body);

    const error = await client.blobs.download(blob.id, { start: 300_000 }).catch((caught: unknown) => caught);
    expect(isUpstreamHttpError(error, 416)).toBe(true);
  });

  it('leaves nothing behind when the client goes away in the middle of an upload', async () => {
    const { db } = service.deps.mongo;
    const before = await db.collection('blobs.chunks').countDocuments();
    const controller = new AbortController();
    const body = generatedBody(20 * MIB);
    let sent = 0;
    body.stream.on('data', (piece: Buffer) => {
      sent += piece.length;
      if (sent >= 2 * MIB) controller.abort(new Error('caller gave up'));
    });
    const error = await client.blobs
      .upload(body.stream, { filename: 'abandoned.bin', owner_id: owner }, { signal: controller.signal })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);

    // The server notices the closed connection, then deletes the chunks it wrote.
    const deadline = Date.now() + 10_000;
    let files = -1;
    let chunks = -1;
    while (Date.now() < deadline) {
      files = await db.collection('blobs.files').countDocuments({ filename: 'abandoned.bin' });
      chunks = await db.collection('blobs.chunks').countDocuments();
      if (files === 0 && chunks === before) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect({ files, chunks }).toEqual({ files: 0, chunks: before });
  });

  it('reads metadata, deletes, and reports a missing blob', async () => {
    const blob = await client.blobs.upload(generatedBody(10).stream, {
      filename: 'small.bin',
      owner_id: owner,
    });
    expect(await client.blobs.get(blob.id)).toEqual(blob);
    expect(await client.blobs.delete(blob.id)).toBe(true);
    expect(await client.blobs.get(blob.id)).toBeUndefined();
    expect(await client.blobs.delete(blob.id)).toBe(false);
    const error = await client.blobs.download(blob.id).catch((caught: unknown) => caught);
    expect(isUpstreamHttpError(error, 404)).toBe(true);
  });
});

describe('an upload over the limit through the typed client', () => {
  let service: TestService;
  let client: DataMongoClient;

  beforeAll(async () => {
    service = await startTestService(testDatabaseName('dm_limit'), { BLOB_MAX_BYTES: String(MIB) });
    client = createDataMongoClient({
      baseUrl: await service.listen(),
      callerName: 'api',
      serviceToken: service.token,
    });
  });
  afterAll(async () => {
    await client?.close();
    await service?.close();
  });

  it('gets 413 BLOB.TOO_LARGE while still sending, and leaves no file document nor chunk', async () => {
    const error = await client.blobs
      .upload(generatedBody(8 * MIB).stream, { filename: 'huge.bin', owner_id: owner })
      .catch((caught: unknown) => caught);
    expect(isUpstreamHttpError(error, 413)).toBe(true);
    expect(isUpstreamHttpError(error) && error.upstreamCode).toBe('BLOB.TOO_LARGE');

    const { db } = service.deps.mongo;
    expect(await db.collection('blobs.files').countDocuments()).toBe(0);
    expect(await db.collection('blobs.chunks').countDocuments()).toBe(0);
  });

  it('still serves the next request on the same client afterwards', async () => {
    const blob = await client.blobs.upload(generatedBody(1000).stream, {
      filename: 'ok.bin',
      owner_id: owner,
    });
    expect(blob.size).toBe(1000);
  });

  it('refuses a declared Content-Length over the limit at once', async () => {
    const body = generatedBody(2 * MIB);
    const error = await client.blobs
      .upload(body.stream, { filename: 'declared.bin', owner_id: owner }, { contentLength: 2 * MIB })
      .catch((caught: unknown) => caught);
    expect(isUpstreamHttpError(error, 413)).toBe(true);
  });
});
