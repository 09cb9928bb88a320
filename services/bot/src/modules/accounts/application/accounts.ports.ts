import type { DataPostgresClient, EventData, EventType } from '@flotilla/contracts';

/** Users as data-postgres stores them: the bot finds, links and unlinks Telegram accounts. */
export type UserDirectory = Pick<DataPostgresClient['users'], 'get' | 'getByTelegramId' | 'patch'>;

/** One-time Telegram link codes issued by the api (`linkcode:<sha256(code)>` in the shared Redis). */
export interface LinkCodes {
  /** The user id of `code`, deleting it (one use); undefined when unknown, expired or used. */
  consume(code: string): Promise<string | undefined>;
}

/** Publishes domain events after the write they report. */
export interface EventPublisher {
  publish<T extends EventType>(type: T, data: EventData<T>, options?: { userId?: string }): Promise<unknown>;
}
