import type { MediaJob } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import type { MediaDeps } from './media.ports.js';
import { createStoreUpload, type IncomingFile, type StoredUpload } from './store-upload.js';
import { recordStoredUpload } from './upload-idempotency.js';

/** An upload of a photo by a user. */
export interface UploadMediaInput {
  ownerId: string;
  file: IncomingFile;
  /** The client's `Idempotency-Key`, if any. */
  idempotencyKey?: string;
}

/** The job created (or, for a replayed key, the one created by the first request). */
export interface UploadMediaResult {
  job: MediaJob;
  replayed: boolean;
}

/** Where documents go instead (named in the 415 answer). */
export const DOCUMENTS_PATH = '/api/v1/knowledge/documents';

/**
 * Uploads a photo: streamed into data-mongo with its type decided by its bytes, then a `queued` job in
 * data-postgres, then `media.uploaded` for the worker. A lost publish is logged, not failed: the job is
 * durable and the worker's schedule re-publishes jobs left `queued`.
 */
export function createUploadMedia(deps: MediaDeps & { maxBytes: number }) {
  const storeUpload = createStoreUpload(deps);

  async function createJob(ownerId: string, stored: StoredUpload): Promise<MediaJob> {
    const job = await deps.jobs.create({
      id: newId(),
      owner_id: ownerId,
      kind: 'photo',
      source: 'api',
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
        { job_id: job.id, owner_id: ownerId, kind: 'photo', source: 'api', original: job.original },
        { userId: ownerId },
      );
    } catch (error) {
      deps.logger.warn({ err: error, job_id: job.id }, 'media.uploaded not published; the job stays queued');
    }
    return job;
  }

  return async function uploadMedia(input: UploadMediaInput): Promise<UploadMediaResult> {
    const stored = await storeUpload({
      ownerId: input.ownerId,
      file: input.file,
      accept: 'photo',
      maxBytes: deps.maxBytes,
      otherFamilyPath: DOCUMENTS_PATH,
    });
    const { body, replayed } = await recordStoredUpload(deps, stored, {
      scope: `media-upload:${input.ownerId}`,
      key: input.idempotencyKey,
      fingerprint: stored.sha256,
      record: () => createJob(input.ownerId, stored),
    });
    return { job: body, replayed };
  };
}
