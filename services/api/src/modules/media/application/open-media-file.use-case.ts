import type { BlobByteRange, BlobDownload, MediaJob } from '@flotilla/contracts';
import { isUpstreamHttpError } from '@flotilla/platform';
import { mediaErrors } from '../domain/media.errors.js';
import { createGetMedia } from './get-media.use-case.js';
import type { MediaBlobStore, MediaJobStore } from './media.ports.js';

/** The files of a job. */
export type MediaFileKind = 'original' | 'result' | 'thumbnail';

/** A request for one file of one's own job, possibly conditional or partial. */
export interface OpenMediaFileInput {
  ownerId: string;
  jobId: string;
  file: MediaFileKind;
  range?: BlobByteRange;
  /** Entity tags from `If-None-Match`: a match answers "not modified" without opening the file. */
  ifNoneMatch?: readonly string[];
}

/** The file's bytes, or "not modified". */
export type OpenedMediaFile =
  | { notModified: false; download: BlobDownload; job: MediaJob }
  | { notModified: true; sha256: string; job: MediaJob };

function blobOf(job: MediaJob, file: MediaFileKind): { id: string } | undefined {
  if (file === 'original') return { id: job.original.blob_id };
  const id = file === 'result' ? job.result?.blob_id : job.result?.thumbnail_blob_id;
  return id ? { id } : undefined;
}

/**
 * Opens the original, the result or the thumbnail of a user's job as a stream from data-mongo. An
 * `If-None-Match` is checked against the blob's SHA-256 first, so a cached copy costs no download.
 */
export function createOpenMediaFile(deps: {
  jobs: Pick<MediaJobStore, 'get'>;
  blobs: Pick<MediaBlobStore, 'download'> & { get(id: string): Promise<{ sha256: string } | undefined> };
}) {
  const getMedia = createGetMedia(deps);

  return async function openMediaFile(input: OpenMediaFileInput): Promise<OpenedMediaFile> {
    const job = await getMedia(input);
    const blob = blobOf(job, input.file);
    if (!blob)
      throw mediaErrors.FILE_NOT_READY({ detail: `The job has no ${input.file} (status ${job.status}).` });
    if (input.ifNoneMatch?.length) {
      const metadata = await deps.blobs.get(blob.id);
      if (!metadata) throw mediaErrors.FILE_NOT_READY({ detail: `The ${input.file} is no longer stored.` });
      if (input.ifNoneMatch.some((tag) => tag === '*' || tag === metadata.sha256)) {
        return { notModified: true, sha256: metadata.sha256, job };
      }
    }
    try {
      return { notModified: false, download: await deps.blobs.download(blob.id, input.range), job };
    } catch (error) {
      if (isUpstreamHttpError(error, 404))
        throw mediaErrors.FILE_NOT_READY({ detail: `The ${input.file} is no longer stored.` });
      if (isUpstreamHttpError(error, 416)) throw mediaErrors.RANGE_NOT_SATISFIABLE({ cause: error });
      throw error;
    }
  };
}
