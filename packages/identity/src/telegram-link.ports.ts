import type { DataPostgresClient, EventData, EventType, OutboxEvent } from '@flotilla/contracts';

/** Users as data-postgres stores them, as linking reads and writes them. */
export type TelegramUserDirectory = Pick<DataPostgresClient['users'], 'get' | 'getByTelegramId' | 'patch'>;

/** One-time Telegram link codes (stored hashed, expiring). */
export interface LinkCodes {
  /** A fresh code for `userId`. */
  issue(userId: string): Promise<{ code: string; expiresInSeconds: number }>;
  /** The user id of `code`, deleting it (one use); undefined when unknown or expired. */
  consume(code: string): Promise<string | undefined>;
}

/** A cache of user profiles to drop after a write (the api has one; the bot has none). */
export interface ProfileCache {
  invalidate(id: string): Promise<boolean>;
}

/**
 * Builds domain events to send with the write they report: data-postgres stores them in the write's
 * transaction and publishes them once it commits (the platform's messaging `prepare`).
 */
export interface OutboxEvents {
  prepare<T extends EventType>(type: T, data: EventData<T>, options?: { userId?: string }): OutboxEvent;
}
