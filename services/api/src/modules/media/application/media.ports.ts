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

/** What a previous request with the same `Idempotency-Key` left behind. */
export type IdempotencyClaim =
  | { outcome: 'claimed' }
  | { outcome: 'replay'; status: number; body: unknown }
  | { outcome: 'mismatch' }
  | { outcome: 'in_progress' };

/**
 * `Idempotency-Key` records of requests whose body is a streamed upload: the fingerprint (SHA-256 of the
 * bytes, plus whatever else identifies the request) is known only once the file has been read.
 */
export interface UploadIdempotency {
  /** Claims `key` for this request, or reports what an earlier request with the same key left. */
  claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim>;
  /** Stores the reply to replay for 24 h. */
  complete(
    scope: string,
    key: string,
    fingerprint: string,
    reply: { status: number; body: unknown },
  ): Promise<void>;
  /** Gives the key up after a failure, so a retry runs again. */
  release(scope: string, key: string): Promise<void>;
}

/** Shared by the media use cases. */
export interface MediaDeps {
  jobs: MediaJobStore;
  blobs: MediaBlobStore;
  events: EventPublisher;
  idempotency: UploadIdempotency;
  logger: Logger;
}
