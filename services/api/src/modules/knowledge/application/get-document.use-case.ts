import type { KnowledgeDocument } from '@flotilla/contracts';
import { documentErrors } from '../domain/knowledge.errors.js';
import type { DocumentStore } from './knowledge.ports.js';

/** Reads a document of its owner; someone else's document is as absent as one that does not exist. */
export function createGetDocument(deps: { documents: Pick<DocumentStore, 'get'> }) {
  return async function getDocument(input: {
    ownerId: string;
    documentId: string;
  }): Promise<KnowledgeDocument> {
    const document = await deps.documents.get(input.documentId);
    if (!document || document.owner_id !== input.ownerId) throw documentErrors.NOT_FOUND();
    return document;
  };
}
