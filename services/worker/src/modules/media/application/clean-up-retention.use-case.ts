import type { BlobStore, MediaJobStore } from './photo.ports.js';

/**
 * The retention schedule: photo jobs finished (succeeded or failed) more than `olderThanSeconds` ago
 * are deleted with their files (original, result, thumbnail). Files go first, then the job, so an
 * interrupted run leaves a job whose files are partly gone and is finished by the next run (deleting
 * a missing file is harmless). Returns the jobs deleted.
 */
export function createCleanUpRetention(deps: {
  jobs: Pick<MediaJobStore, 'listFinished' | 'delete'>;
  blobs: Pick<BlobStore, 'delete'>;
  olderThanSeconds: number;
  limit: number;
}) {
  return async function cleanUpRetention(): Promise<number> {
    const { items } = await deps.jobs.listFinished({
      older_than_seconds: deps.olderThanSeconds,
      limit: deps.limit,
    });
    let deleted = 0;
    // Photo jobs only: a document job's original may still back a knowledge-base document.
    for (const job of items.filter((candidate) => candidate.kind === 'photo')) {
      const files = [job.original.blob_id, job.result?.blob_id, job.result?.thumbnail_blob_id];
      for (const id of files) if (id) await deps.blobs.delete(id);
      if (await deps.jobs.delete(job.id)) deleted += 1;
    }
    return deleted;
  };
}
