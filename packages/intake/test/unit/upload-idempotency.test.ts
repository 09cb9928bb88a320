import { createLogger, isDomainError, platformErrors, UpstreamHttpError } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import type { IdempotencyClaim, UploadIdempotency } from '../../src/intake.ports.js';
import { recordStoredUpload, withUploadIdempotency } from '../../src/upload-idempotency.js';

const logger = createLogger({ service: 'test', version: '0', level: 'silent' });

/** The port's contract kept in a Map (the Redis adapter is exercised by the component tests). */
function memoryIdempotency(): UploadIdempotency {
  const records = new Map<string, { fingerprint: string; done?: boolean; result?: unknown }>();
  return {
    async claim(scope, key, fingerprint): Promise<IdempotencyClaim> {
      const earlier = records.get(`${scope}:${key}`);
      if (!earlier) {
        records.set(`${scope}:${key}`, { fingerprint });
        return { outcome: 'claimed' };
      }
      if (earlier.fingerprint !== fingerprint) return { outcome: 'mismatch' };
      if (!earlier.done) return { outcome: 'in_progress' };
      return { outcome: 'replay', result: earlier.result };
    },
    async complete(scope, key, fingerprint, result) {
      records.set(`${scope}:${key}`, { fingerprint, done: true, result });
    },
    async release(scope, key) {
      records.delete(`${scope}:${key}`);
    },
  };
}

describe('an upload with an Idempotency-Key', () => {
  it('runs the write once and replays its result for the same file', async () => {
    const deps = { idempotency: memoryIdempotency(), logger };
    let writes = 0;
    const request = {
      scope: 'media-upload:u1',
      key: 'k1',
      fingerprint: 'sha-a',
      run: async () => ({ id: `job-${++writes}` }),
    };
    expect(await withUploadIdempotency(deps, request)).toEqual({ result: { id: 'job-1' }, replayed: false });
    expect(await withUploadIdempotency(deps, request)).toEqual({ result: { id: 'job-1' }, replayed: true });
    expect(writes).toBe(1);
  });

  it('refuses the same key with another file (422) and while the first is running (409)', async () => {
    const deps = { idempotency: memoryIdempotency(), logger };
    let release: () => void = () => undefined;
    const first = withUploadIdempotency(deps, {
      scope: 's',
      key: 'k',
      fingerprint: 'sha-a',
      run: () =>
        new Promise((resolve) => {
          release = () => resolve({});
        }),
    });
    const running = await withUploadIdempotency(deps, {
      scope: 's',
      key: 'k',
      fingerprint: 'sha-a',
      run: async () => ({}),
    }).catch((error: unknown) => error);
    expect(isDomainError(running, 'IDEMPOTENCY.IN_PROGRESS')).toBe(true);
    release();
    await first;
    const other = await withUploadIdempotency(deps, {
      scope: 's',
      key: 'k',
      fingerprint: 'sha-b',
      run: async () => ({}),
    }).catch((error: unknown) => error);
    expect(isDomainError(other, 'IDEMPOTENCY.KEY_REUSED')).toBe(true);
  });

  it('gives the key up when the write fails, so the retry runs again', async () => {
    const deps = { idempotency: memoryIdempotency(), logger };
    const failing = withUploadIdempotency(deps, {
      scope: 's',
      key: 'k',
      fingerprint: 'f',
      run: async () => {
        throw new Error('data-postgres down');
      },
    });
    await expect(failing).rejects.toThrow('data-postgres down');
    const retry = await withUploadIdempotency(deps, {
      scope: 's',
      key: 'k',
      fingerprint: 'f',
      run: async () => ({ ok: true }),
    });
    expect(retry.replayed).toBe(false);
  });

  it('fails closed (503) when the records cannot be read', async () => {
    const broken: UploadIdempotency = {
      claim: async () => {
        throw new Error('redis down');
      },
      complete: async () => undefined,
      release: async () => undefined,
    };
    const error = await withUploadIdempotency(
      { idempotency: broken, logger },
      { scope: 's', key: 'k', fingerprint: 'f', run: async () => ({}) },
    ).catch((failure: unknown) => failure);
    expect(isDomainError(error, 'IDEMPOTENCY.UNAVAILABLE')).toBe(true);
  });
});

describe('the stored file of an upload whose write failed', () => {
  const stored = {
    blobId: 'blob-1',
    filename: 'a.jpg',
    contentType: 'image/jpeg',
    sizeBytes: 3,
    sha256: 'x',
  };
  const call = { upstream: 'data-postgres', method: 'POST', route: '/api/v1/media-jobs' };

  async function failWith(error: unknown): Promise<string[]> {
    const deleted: string[] = [];
    const deps = {
      idempotency: memoryIdempotency(),
      logger,
      blobs: {
        delete: async (id: string) => {
          deleted.push(id);
          return true;
        },
      },
    };
    const request = { scope: 's', key: undefined, fingerprint: 'x', record: () => Promise.reject(error) };
    await expect(recordStoredUpload(deps, stored, request)).rejects.toBe(error);
    return deleted;
  }

  it('is deleted when the write surely did not happen (an answer, or a connection refused)', async () => {
    const answered = new UpstreamHttpError({ ...call, status: 503, body: undefined });
    expect(await failWith(answered)).toEqual(['blob-1']);
    const refused = upstreamUnavailableFor('ECONNREFUSED');
    expect(await failWith(refused)).toEqual(['blob-1']);
  });

  it('is kept for the orphan sweep when the write may have happened (no answer came back)', async () => {
    expect(await failWith(upstreamUnavailableFor('ECONNRESET'))).toEqual([]);
    expect(await failWith(platformErrors.UPSTREAM_TIMEOUT({ detail: 'deadline' }))).toEqual([]);
  });

  function upstreamUnavailableFor(code: string) {
    return platformErrors.UPSTREAM_UNAVAILABLE({
      detail: `${call.upstream} could not be reached (${code})`,
      cause: Object.assign(new Error(code), { code }),
    });
  }
});
