import type {
  DataMongoClient,
  DataPostgresClient,
  EventData,
  EventType,
  OutboxEvent,
} from '@flotilla/contracts';
import type { Logger } from '@flotilla/platform';

/** Jobs in data-postgres, as the uploads write them. */
export type UploadJobStore = Pick<DataPostgresClient['mediaJobs'], 'create' | 'delete'>;

/** Documents in data-postgres, as a document upload writes them. */
export type UploadDocumentStore = Pick<DataPostgresClient['documents'], 'create'>;

/** Blobs in data-mongo. */
export type UploadBlobStore = Pick<DataMongoClient['blobs'], 'upload' | 'delete'>;

/**
 * Builds domain events to send with the write they report: data-postgres stores them in the write's
 * transaction and publishes them once it commits (the platform's messaging `prepare`).
 */
export interface OutboxEvents {
  prepare<T extends EventType>(type: T, data: EventData<T>, options?: { userId?: string }): OutboxEvent;
}

/** What an earlier upload with the same `Idempotency-Key` left behind. */
export type IdempotencyClaim =
  | { outcome: 'claimed' }
  | { outcome: 'replay'; result: unknown }
  | { outcome: 'mismatch' }
  | { outcome: 'in_progress' };

/**
 * `Idempotency-Key` records of uploads: the fingerprint (SHA-256 of the bytes, plus whatever else
 * identifies the request) is known only once the file has been read. What is stored is the upload's
 * domain result; each edge turns it into its own answer.
 */
export interface UploadIdempotency {
  /** Claims `key` for this upload, or reports what an earlier one with the same key left. */
  claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim>;
  /** Stores the result to replay. */
  complete(scope: string, key: string, fingerprint: string, result: unknown): Promise<void>;
  /** Gives the key up after a failure, so a retry runs again. */
  release(scope: string, key: string): Promise<void>;
}

/** Where an upload came from, and for a Telegram upload the chat to answer in. */
export interface UploadOrigin {
  source: 'api' | 'telegram';
  telegramChatId?: number;
}

/** What every upload use case needs. */
export interface IntakeDeps {
  jobs: UploadJobStore;
  blobs: UploadBlobStore;
  events: OutboxEvents;
  idempotency: UploadIdempotency;
  logger: Logger;
}
