import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';
import type { KnowledgeBase } from '@flotilla/knowledge';

/** The document calls of data-postgres the consumer uses (the typed client satisfies it). */
export type DocumentStore = Pick<DataPostgresClient['documents'], 'get' | 'patch'>;

/** The media-job calls used when a document carries a `job_id`. */
export type DocumentJobStore = Pick<
  DataPostgresClient['mediaJobs'],
  'get' | 'claim' | 'progress' | 'complete' | 'fail' | 'release'
>;

/** The blob calls of data-mongo the consumer uses. */
export type DocumentBlobStore = Pick<DataMongoClient['blobs'], 'download'>;

/** The knowledge-base use cases the consumer uses. */
export type DocumentIndexer = Pick<KnowledgeBase, 'ingest' | 'deleteDocumentVectors'>;

/** Publishes a domain event of the catalogue (the messaging module satisfies it). */
export interface EventPublisher {
  publish<D>(eventType: string, data: D, options?: { userId?: string }): Promise<unknown>;
}
