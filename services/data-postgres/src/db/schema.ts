import type { ColumnType, Generated } from 'kysely';

/** A timestamp column: read as a Date, written as a Date (or an SQL expression such as `now()`). */
type Timestamp = ColumnType<Date, Date | undefined, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;
type DefaultedTimestamp = ColumnType<Date, Date | undefined, Date>;

/** `users`. Columns are camelCase here; the CamelCasePlugin maps them to the snake_case SQL names. */
export interface UsersTable {
  id: string;
  /** Always lower-case (a CHECK enforces it). */
  email: string;
  username: string;
  displayName: string | null;
  passwordHash: string;
  role: Generated<'user' | 'admin'>;
  status: Generated<'active' | 'suspended'>;
  /** `bigint`, parsed to a number (Telegram ids have at most 52 bits). */
  telegramId: number | null;
  createdAt: DefaultedTimestamp;
  updatedAt: DefaultedTimestamp;
  version: Generated<number>;
}

/** `refresh_tokens`. */
export interface RefreshTokensTable {
  id: string;
  userId: string;
  tokenHash: string;
  familyId: string;
  expiresAt: Timestamp;
  revokedAt: NullableTimestamp;
  replacedBy: string | null;
  createdAt: DefaultedTimestamp;
}

/** `media_jobs`. */
export interface MediaJobsTable {
  id: string;
  ownerId: string;
  kind: 'photo' | 'document';
  source: Generated<'api' | 'telegram'>;
  status: Generated<'queued' | 'processing' | 'succeeded' | 'failed'>;
  attempts: Generated<number>;
  maxAttempts: Generated<number>;
  leaseOwner: string | null;
  leaseExpiresAt: NullableTimestamp;
  progress: Generated<number>;
  originalBlobId: string;
  originalFilename: string;
  originalContentType: string;
  originalSizeBytes: number;
  resultBlobId: string | null;
  resultContentType: string | null;
  resultSizeBytes: number | null;
  resultWidth: number | null;
  resultHeight: number | null;
  originalWidth: number | null;
  originalHeight: number | null;
  thumbnailBlobId: string | null;
  thumbnailSizeBytes: number | null;
  bytesSaved: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: DefaultedTimestamp;
  updatedAt: DefaultedTimestamp;
  startedAt: NullableTimestamp;
  finishedAt: NullableTimestamp;
}

/** `documents`. */
export interface DocumentsTable {
  id: string;
  ownerId: string;
  title: string;
  sourceJobId: string | null;
  contentType: string;
  chunkCount: Generated<number>;
  status: Generated<'pending' | 'indexed' | 'failed'>;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: DefaultedTimestamp;
  updatedAt: DefaultedTimestamp;
  indexedAt: NullableTimestamp;
}

/** `outbox`: events waiting to be published after the write that stored them committed. */
export interface OutboxTable {
  eventId: string;
  eventType: string;
  /** `json`: the event envelope as the caller built it. */
  envelope: ColumnType<unknown, string, string>;
  /** `json`: `traceparent` / `tracestate` to send with it. */
  headers: ColumnType<Record<string, string>, string | undefined, string>;
  createdAt: DefaultedTimestamp;
  attempts: Generated<number>;
  nextAttemptAt: DefaultedTimestamp;
  lastError: string | null;
  sentAt: NullableTimestamp;
}

/** The database as Kysely sees it. */
export interface DatabaseSchema {
  outbox: OutboxTable;
  users: UsersTable;
  refreshTokens: RefreshTokensTable;
  mediaJobs: MediaJobsTable;
  documents: DocumentsTable;
}
