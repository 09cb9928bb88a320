import type { VectorStore } from '../vector-store/vector-store.port.js';

/** Removes a document's vectors from its owner's collection; answers how many were removed (0 is fine). */
export type DeleteDocumentVectors = (input: {
  ownerId: string;
  documentId: string;
}) => Promise<{ deleted: number }>;

/** Creates {@link DeleteDocumentVectors}. Idempotent: a second call removes nothing and succeeds. */
export function createDeleteDocumentVectors(deps: { store: VectorStore }): DeleteDocumentVectors {
  return async ({ ownerId, documentId }) => ({
    deleted: await deps.store.deleteDocument(ownerId, documentId),
  });
}
