import type { DataPostgresClient, EventData, EventType } from '@flotilla/contracts';

/** Users as data-postgres stores them, as linking reads and writes them. */
export type TelegramUserDirectory = Pick<DataPostgresClient['users'], 'getByTelegramId' | 'patch'>;

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

/** Publishes domain events after the write they report. */
export interface EventPublisher {
  publish<T extends EventType>(type: T, data: EventData<T>, options?: { userId?: string }): Promise<unknown>;
}
