import type { DataMongoClient, DataPostgresClient, EventData, EventType } from '@flotilla/contracts';
import type { Logger } from '@flotilla/platform';

/** Jobs in data-postgres, as the media use cases use them. */
export type MediaJobStore = Pick<DataPostgresClient['mediaJobs'], 'create' | 'get' | 'list' | 'delete'>;

/** Blobs in data-mongo. */
export type MediaBlobStore = Pick<DataMongoClient['blobs'], 'upload' | 'download' | 'delete'>;

/** Publishes domain events (the platform's messaging, narrowed to what a use case needs). */
export interface EventPublisher {
  publish<T extends EventType>(type: T, data: EventData<T>, options?: { userId?: string }): Promise<unknown>;
}

/** Shared by the media use cases (uploads are `@flotilla/intake`'s). */
export interface MediaDeps {
  jobs: MediaJobStore;
  blobs: MediaBlobStore;
  events: EventPublisher;
  logger: Logger;
}
