import { idempotencyErrors, type Logger, mayHaveReachedUpstream } from '@flotilla/platform';
import type { UploadBlobStore, UploadIdempotency } from './intake.ports.js';
import type { StoredUpload } from './store-upload.js';

/** A key and the fingerprint of what it was sent with. */
interface KeyedRequest {
  scope: string;
  key: string | undefined;
  fingerprint: string;
}

/**
 * Runs the write of an upload at most once per `Idempotency-Key`, once the file's fingerprint is known.
 * Same key and same bytes: the stored result (`replayed`); same key, other bytes: KEY_REUSED; same key
 * still running: IN_PROGRESS. A failed write gives the key up, so the client's retry runs again.
 */
export async function withUploadIdempotency<T>(
  deps: { idempotency: UploadIdempotency; logger: Logger },
  request: KeyedRequest & { run: () => Promise<T> },
): Promise<{ result: T; replayed: boolean }> {
  const { scope, key, fingerprint } = request;
  if (key === undefined) return { result: await request.run(), replayed: false };

  // Fail closed: going ahead without the record could do the write twice.
  const claim = await deps.idempotency.claim(scope, key, fingerprint).catch((error: unknown) => {
    throw idempotencyErrors.UNAVAILABLE({ cause: error });
  });
  if (claim.outcome === 'replay') return { result: claim.result as T, replayed: true };
  if (claim.outcome === 'mismatch') {
    throw idempotencyErrors.KEY_REUSED({
      detail: 'The same Idempotency-Key was sent with a different file; use a new key for a new upload.',
    });
  }
  if (claim.outcome === 'in_progress') throw idempotencyErrors.IN_PROGRESS();

  let result: T;
  try {
    result = await request.run();
  } catch (error) {
    await deps.idempotency.release(scope, key).catch(() => undefined);
    throw error;
  }
  // The write happened: failing to remember it must not undo it (a retry would then create a second one).
  await deps.idempotency.complete(scope, key, fingerprint, result).catch((error: unknown) => {
    deps.logger.warn({ err: error }, 'idempotent result not stored');
  });
  return { result, replayed: false };
}

/**
 * What every upload does once its file is stored: write its records at most once per
 * `Idempotency-Key` (see {@link withUploadIdempotency}). A replay deletes the file just stored (the
 * first request's file is the one kept); a failure deletes it too, then rethrows, unless the write may
 * have happened all the same (a timeout or a connection lost mid-call: the job may exist and refer to the
 * file). That file is left to the worker's orphan sweep, which deletes it only if no job refers to it.
 */
export async function recordStoredUpload<T>(
  deps: { idempotency: UploadIdempotency; logger: Logger; blobs: Pick<UploadBlobStore, 'delete'> },
  stored: StoredUpload,
  request: KeyedRequest & { record: () => Promise<T> },
): Promise<{ result: T; replayed: boolean }> {
  try {
    const outcome = await withUploadIdempotency(deps, { ...request, run: request.record });
    if (outcome.replayed) await deps.blobs.delete(stored.blobId);
    return outcome;
  } catch (error) {
    if (mayHaveReachedUpstream(error)) {
      deps.logger.warn(
        { err: error, blob_id: stored.blobId },
        'upload write failed without an answer; the stored file is left to the orphan sweep',
      );
      throw error;
    }
    await deps.blobs.delete(stored.blobId).catch((cleanup: unknown) => {
      deps.logger.warn({ err: cleanup, blob_id: stored.blobId }, 'stored upload not deleted after a failure');
    });
    throw error;
  }
}
