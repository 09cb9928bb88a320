import type { CreateMediaJobBody, MediaJob, MediaJobResult } from '@flotilla/contracts';
import { iso, isoOrNull } from '../../http/wire.js';
import type { MediaJobOutcome, MediaJobRecord, NewMediaJob } from './media-jobs.repository.js';

function present<K extends string, V>(key: K, value: V | null | undefined): Partial<Record<K, V>> {
  return value === null || value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function toResultWire(job: MediaJobRecord): MediaJobResult | null {
  const result: MediaJobResult = {
    ...present('blob_id', job.resultBlobId),
    ...present('content_type', job.resultContentType),
    ...present('size_bytes', job.resultSizeBytes),
    ...present('width', job.resultWidth),
    ...present('height', job.resultHeight),
    ...present('original_width', job.originalWidth),
    ...present('original_height', job.originalHeight),
    ...present('thumbnail_blob_id', job.thumbnailBlobId),
    ...present('thumbnail_size_bytes', job.thumbnailSizeBytes),
    ...present('bytes_saved', job.bytesSaved),
  };
  return job.status === 'succeeded' || Object.keys(result).length > 0 ? result : null;
}

/** A stored job on the wire (snake_case, with `original`, `result` and `error` grouped). */
export function toMediaJobWire(job: MediaJobRecord): MediaJob {
  return {
    id: job.id,
    owner_id: job.ownerId,
    kind: job.kind,
    source: job.source,
    status: job.status,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    lease_owner: job.leaseOwner,
    lease_expires_at: isoOrNull(job.leaseExpiresAt),
    progress: job.progress,
    original: {
      blob_id: job.originalBlobId,
      filename: job.originalFilename,
      content_type: job.originalContentType,
      size_bytes: job.originalSizeBytes,
    },
    result: toResultWire(job),
    error:
      job.errorCode !== null && job.errorMessage !== null
        ? { code: job.errorCode, message: job.errorMessage }
        : null,
    created_at: iso(job.createdAt),
    updated_at: iso(job.updatedAt),
    started_at: isoOrNull(job.startedAt),
    finished_at: isoOrNull(job.finishedAt),
  };
}

/** `POST /media-jobs` body to the repository's input. */
export function fromCreateMediaJobBody(body: CreateMediaJobBody): NewMediaJob {
  return {
    ...(body.id !== undefined && { id: body.id }),
    ownerId: body.owner_id,
    kind: body.kind,
    ...(body.source !== undefined && { source: body.source }),
    ...(body.max_attempts !== undefined && { maxAttempts: body.max_attempts }),
    original: {
      blobId: body.original.blob_id,
      filename: body.original.filename,
      contentType: body.original.content_type,
      sizeBytes: body.original.size_bytes,
    },
  };
}

/** A `result` on the wire to the repository's outcome. */
export function fromResultWire(result: MediaJobResult | undefined): MediaJobOutcome {
  if (!result) return {};
  return {
    ...present('blobId', result.blob_id),
    ...present('contentType', result.content_type),
    ...present('sizeBytes', result.size_bytes),
    ...present('width', result.width),
    ...present('height', result.height),
    ...present('originalWidth', result.original_width),
    ...present('originalHeight', result.original_height),
    ...present('thumbnailBlobId', result.thumbnail_blob_id),
    ...present('thumbnailSizeBytes', result.thumbnail_size_bytes),
    ...present('bytesSaved', result.bytes_saved),
  };
}
