import type { MediaJob } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import type { IntakeDeps, UploadOrigin } from './intake.ports.js';
import { createStoreUpload, type IncomingFile, type StoredUpload } from './store-upload.js';
import { recordStoredUpload } from './upload-idempotency.js';

/** An upload of a photo by a user. */
export interface UploadPhotoInput {
  ownerId: string;
  file: IncomingFile;
  origin: UploadOrigin;
  /** The client's `Idempotency-Key`, if any. */
  idempotencyKey?: string;
}

/** The job created (or, for a replayed key, the one created by the first request). */
export interface UploadPhotoResult {
  job: MediaJob;
  replayed: boolean;
}

/**
 * Uploads a photo, from the api or the bot alike: streamed into data-mongo with its type decided by its
 * bytes, then a `queued` job in data-postgres with its `media.uploaded` event for the worker, stored in
 * the same transaction and published by data-postgres once it commits (the outbox): a job that exists
 * has its event, whatever happens to this process or the broker afterwards.
 */
export function createUploadPhoto(deps: IntakeDeps & { maxBytes: number }) {
  const storeUpload = createStoreUpload(deps);

  function createJob(input: UploadPhotoInput, stored: StoredUpload): Promise<MediaJob> {
    const id = newId();
    const original = {
      blob_id: stored.blobId,
      filename: stored.filename,
      content_type: stored.contentType,
      size_bytes: stored.sizeBytes,
    };
    const uploaded = deps.events.prepare(
      'media.uploaded',
      {
        job_id: id,
        owner_id: input.ownerId,
        kind: 'photo',
        source: input.origin.source,
        original,
        ...(input.origin.telegramChatId !== undefined && { telegram_chat_id: input.origin.telegramChatId }),
      },
      { userId: input.ownerId },
    );
    return deps.jobs.create({
      id,
      owner_id: input.ownerId,
      kind: 'photo',
      source: input.origin.source,
      original,
      events: [uploaded],
    });
  }

  return async function uploadPhoto(input: UploadPhotoInput): Promise<UploadPhotoResult> {
    const stored = await storeUpload({
      ownerId: input.ownerId,
      file: input.file,
      accept: 'photo',
      maxBytes: deps.maxBytes,
    });
    const { result, replayed } = await recordStoredUpload(deps, stored, {
      scope: `media-upload:${input.ownerId}`,
      key: input.idempotencyKey,
      fingerprint: stored.sha256,
      record: () => createJob(input, stored),
    });
    return { job: result, replayed };
  };
}
