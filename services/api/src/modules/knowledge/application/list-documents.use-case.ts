import type { KnowledgeDocumentPage, KnowledgeDocumentStatus } from '@flotilla/contracts';
import { isUpstreamHttpError, pageErrors } from '@flotilla/platform';
import type { DocumentStore } from './knowledge.ports.js';

/** Lists a user's own documents, newest first. */
export function createListDocuments(deps: { documents: Pick<DocumentStore, 'list'> }) {
  return async function listDocuments(input: {
    ownerId: string;
    limit?: number;
    cursor?: string;
    status?: KnowledgeDocumentStatus;
  }): Promise<KnowledgeDocumentPage> {
    try {
      return await deps.documents.list({
        owner_id: input.ownerId,
        ...(input.limit !== undefined && { limit: input.limit }),
        ...(input.cursor !== undefined && { cursor: input.cursor }),
        ...(input.status !== undefined && { status: input.status }),
      });
    } catch (error) {
      // Everything else was validated here: a 422 upstream can only be about the cursor.
      if (isUpstreamHttpError(error, 422)) throw pageErrors.INVALID_CURSOR({ cause: error });
      throw error;
    }
  };
}
