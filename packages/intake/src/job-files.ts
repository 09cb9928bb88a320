import type { MediaJob } from '@flotilla/contracts';

/** Every file a job refers to: the original upload, and once processed its result and thumbnail. */
export function blobIdsOf(job: MediaJob): string[] {
  return [job.original.blob_id, job.result?.blob_id, job.result?.thumbnail_blob_id].filter(
    (id): id is string => id !== undefined,
  );
}
