import type { Logger } from '@flotilla/platform';
import { mediaErrors } from '../domain/media.errors.js';
import type { MediaBlobStore, UploadIdempotency } from './media.ports.js';
import type { StoredUpload } from './store-upload.js';

/** A reply of an upload: what the first request answered, and whether this one only replays it. */
export interface UploadReply {
  status: number;
  body: unknown;
  replayed: boolean;
}

/**
 * Runs the write of an upload at most once per `Idempotency-Key`, once the file's fingerprint is known.
 * Same key and same bytes: the stored reply (`replayed`); same key, other bytes: 422; same key still
 * running: 409. A failed write gives the key up, so the client's retry runs again.
 */
export async function withUploadIdempotency(
  deps: { idempotency: UploadIdempotency; logger: Logger },
  request: {
    scope: string;
    key: string | undefined;
    fingerprint: string;
    run: () => Promise<{ status: number; body: unknown }>;
  },
): Promise<UploadReply> {
  const { scope, key, fingerprint } = request;
  if (key === undefined) return { ...(await request.run()), replayed: false };

  // Fail closed: going ahead without the record could do the write twice.
  const claim = await deps.idempotency.claim(scope, key, fingerprint).catch((error: unknown) => {
    throw mediaErrors.IDEMPOTENCY_UNAVAILABLE({ cause: error });
  });
  if (claim.outcome === 'replay') return { status: claim.status, body: claim.body, replayed: true };
  if (claim.outcome === 'mismatch') {
    throw mediaErrors.IDEMPOTENCY_MISMATCH({
      detail: 'The same Idempotency-Key was sent with a different file; use a new key for a new upload.',
    });
  }
  if (claim.outcome === 'in_progress') throw mediaErrors.IDEMPOTENCY_IN_PROGRESS();

  let reply: { status: number; body: unknown };
  try {
    reply = await request.run();
  } catch (error) {
    await deps.idempotency.release(scope, key).catch(() => undefined);
    throw error;
  }
  // The write happened: failing to remember it must not undo it (a retry would then create a second one).
  await deps.idempotency.complete(scope, key, fingerprint, reply).catch((error: unknown) => {
    deps.logger.warn({ err: error }, 'idempotent reply not stored');
  });
  return { ...reply, replayed: false };
}

/**
 * What every upload does once its file is stored: write its records at most once per
 * `Idempotency-Key` (see {@link withUploadIdempotency}). A replay deletes the file just stored (the
 * first request's file is the one kept); a failure deletes it too, then rethrows.
 */
export async function recordStoredUpload<T>(
  deps: {
    idempotency: UploadIdempotency;
    logger: Logger;
    blobs: Pick<MediaBlobStore, 'delete'>;
  },
  stored: StoredUpload,
  request: { scope: string; key: string | undefined; fingerprint: string; record: () => Promise<T> },
): Promise<{ body: T; replayed: boolean }> {
  try {
    const outcome = await withUploadIdempotency(deps, {
      scope: request.scope,
      key: request.key,
      fingerprint: request.fingerprint,
      run: async () => ({ status: 202, body: await request.record() }),
    });
    if (outcome.replayed) await deps.blobs.delete(stored.blobId);
    return { body: outcome.body as T, replayed: outcome.replayed };
  } catch (error) {
    await deps.blobs.delete(stored.blobId).catch((cleanup: unknown) => {
      deps.logger.warn({ err: cleanup, blob_id: stored.blobId }, 'stored upload not deleted after a failure');
    });
    throw error;
  }
}
