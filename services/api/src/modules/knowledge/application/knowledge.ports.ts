import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';
import type { Ask, DeleteDocumentVectors } from '@flotilla/knowledge';
import type { Logger } from '@flotilla/platform';

/** Documents in data-postgres. */
export type DocumentStore = Pick<DataPostgresClient['documents'], 'create' | 'get' | 'list' | 'delete'>;

/** The knowledge base, as the api uses it: answers, and vectors removed with their document. */
export interface KnowledgeQueries {
  ask: Ask;
  deleteDocumentVectors: DeleteDocumentVectors;
}

/** Shared by the knowledge use cases. */
export interface KnowledgeDeps {
  documents: DocumentStore;
  /** The jobs and files of documents, deleted with them (uploads are `@flotilla/intake`'s). */
  jobs: Pick<DataPostgresClient['mediaJobs'], 'get' | 'delete'>;
  blobs: Pick<DataMongoClient['blobs'], 'delete'>;
  knowledge: KnowledgeQueries;
  logger: Logger;
}
