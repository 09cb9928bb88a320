import { blobIdsOf } from '@flotilla/intake';
import { mediaErrors } from '../domain/media.errors.js';
import { createGetMedia } from './get-media.use-case.js';
import type { MediaBlobStore, MediaJobStore } from './media.ports.js';

/**
 * Deletes a user's job and its files. Blobs go first, then the job: a failure half-way leaves the job, so
 * the client's retry finishes the work (deleting a blob that is gone already is harmless). A document's
 * job is deleted with its document, through the knowledge base.
 */
export function createDeleteMedia(deps: {
  jobs: Pick<MediaJobStore, 'get' | 'delete'>;
  blobs: Pick<MediaBlobStore, 'delete'>;
}) {
  const getMedia = createGetMedia(deps);

  return async function deleteMedia(input: { ownerId: string; jobId: string }): Promise<void> {
    const job = await getMedia(input);
    if (job.kind === 'document') {
      throw mediaErrors.DOCUMENT_JOB({
        detail: 'Delete the document through DELETE /api/v1/knowledge/documents/:id instead.',
      });
    }
    for (const id of blobIdsOf(job)) await deps.blobs.delete(id);
    await deps.jobs.delete(job.id);
  };
}
