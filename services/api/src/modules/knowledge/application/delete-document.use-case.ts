import { blobIdsOf } from '@flotilla/intake';
import { createGetDocument } from './get-document.use-case.js';
import type { KnowledgeDeps } from './knowledge.ports.js';

/**
 * Deletes a user's document with everything made from it: its vectors in the owner's collection, the
 * stored file, the job, then the document row. The row goes last, so a failure half-way leaves something
 * the client's retry can finish (each step is harmless to repeat).
 */
export function createDeleteDocument(
  deps: Pick<KnowledgeDeps, 'documents' | 'jobs' | 'blobs' | 'knowledge'>,
) {
  const getDocument = createGetDocument(deps);

  return async function deleteDocument(input: { ownerId: string; documentId: string }): Promise<void> {
    const document = await getDocument(input);
    await deps.knowledge.deleteDocumentVectors({ ownerId: input.ownerId, documentId: document.id });
    if (document.source_job_id) {
      const job = await deps.jobs.get(document.source_job_id);
      if (job) {
        for (const id of blobIdsOf(job)) await deps.blobs.delete(id);
        await deps.jobs.delete(job.id);
      }
    }
    await deps.documents.delete(document.id);
  };
}
