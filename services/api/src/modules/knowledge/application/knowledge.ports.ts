import type { DataPostgresClient } from '@flotilla/contracts';
import type { Ask, DeleteDocumentVectors } from '@flotilla/knowledge';
import type { Logger } from '@flotilla/platform';
import type {
  EventPublisher,
  MediaBlobStore,
  MediaJobStore,
  UploadIdempotency,
} from '../../media/application/media.ports.js';

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
  jobs: Pick<MediaJobStore, 'create' | 'get' | 'delete'>;
  blobs: Pick<MediaBlobStore, 'upload' | 'delete'>;
  events: EventPublisher;
  idempotency: UploadIdempotency;
  knowledge: KnowledgeQueries;
  logger: Logger;
}
