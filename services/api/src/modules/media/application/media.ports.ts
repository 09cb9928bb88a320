import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';
import type { OutboxEvents } from '@flotilla/intake';
import type { Logger } from '@flotilla/platform';

/** Jobs in data-postgres, as the media use cases use them. */
export type MediaJobStore = Pick<DataPostgresClient['mediaJobs'], 'create' | 'get' | 'list' | 'delete'>;

/** Blobs in data-mongo. */
export type MediaBlobStore = Pick<DataMongoClient['blobs'], 'upload' | 'download' | 'delete'>;

/** Shared by the media use cases (uploads are `@flotilla/intake`'s). */
export interface MediaDeps {
  jobs: MediaJobStore;
  blobs: MediaBlobStore;
  /** Events to store with a write (data-postgres publishes them once it commits). */
  events: OutboxEvents;
  logger: Logger;
}
