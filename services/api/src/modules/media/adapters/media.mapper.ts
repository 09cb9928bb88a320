import type { MediaJob } from '@flotilla/contracts';
import type { MediaView } from './media.schemas.js';

/** Path of the media routes inside the `/api/v1` scope. */
export const MEDIA_PATH = '/media';

/** Public URL of the media routes (links, `Location`). */
export const MEDIA_URL = `/api/v1${MEDIA_PATH}`;

/** A job as its owner sees it, with the URLs of its files. */
export function toMediaView(job: MediaJob): MediaView {
  const self = `${MEDIA_URL}/${job.id}`;
  const result = job.result;
  return {
    id: job.id,
    kind: job.kind,
    source: job.source,
    status: job.status,
    progress: job.progress,
    attempts: job.attempts,
    max_attempts: job.max_attempts,
    error: job.error,
    original: {
      filename: job.original.filename,
      content_type: job.original.content_type,
      size_bytes: job.original.size_bytes,
    },
    result: result
      ? {
          ...(result.content_type !== undefined && { content_type: result.content_type }),
          ...(result.size_bytes !== undefined && { size_bytes: result.size_bytes }),
          ...(result.width !== undefined && { width: result.width }),
          ...(result.height !== undefined && { height: result.height }),
          ...(result.original_width !== undefined && { original_width: result.original_width }),
          ...(result.original_height !== undefined && { original_height: result.original_height }),
          ...(result.thumbnail_size_bytes !== undefined && {
            thumbnail_size_bytes: result.thumbnail_size_bytes,
          }),
          ...(result.bytes_saved !== undefined && { bytes_saved: result.bytes_saved }),
        }
      : null,
    links: {
      self,
      events: `${self}/events`,
      original: `${self}/original`,
      ...(result?.blob_id !== undefined && { result: `${self}/result` }),
      ...(result?.thumbnail_blob_id !== undefined && { thumbnail: `${self}/thumbnail` }),
    },
    created_at: job.created_at,
    updated_at: job.updated_at,
    started_at: job.started_at,
    finished_at: job.finished_at,
  };
}
