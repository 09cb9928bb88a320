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
 * bytes, then a `queued` job in data-postgres, then `media.uploaded` for the worker. A lost publish is
 * logged, not failed: the job is durable and the worker's schedule re-publishes jobs left `queued`.
 */
export function createUploadPhoto(deps: IntakeDeps & { maxBytes: number }) {
  const storeUpload = createStoreUpload(deps);

  async function createJob(input: UploadPhotoInput, stored: StoredUpload): Promise<MediaJob> {
    const job = await deps.jobs.create({
      id: newId(),
      owner_id: input.ownerId,
      kind: 'photo',
      source: input.origin.source,
      original: {
        blob_id: stored.blobId,
        filename: stored.filename,
        content_type: stored.contentType,
        size_bytes: stored.sizeBytes,
      },
    });
    try {
      await deps.events.publish(
        'media.uploaded',
        {
          job_id: job.id,
          owner_id: input.ownerId,
          kind: 'photo',
          source: input.origin.source,
          original: job.original,
          ...(input.origin.telegramChatId !== undefined && { telegram_chat_id: input.origin.telegramChatId }),
        },
        { userId: input.ownerId },
      );
    } catch (error) {
      deps.logger.warn({ err: error, job_id: job.id }, 'media.uploaded not published; the job stays queued');
    }
    return job;
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
