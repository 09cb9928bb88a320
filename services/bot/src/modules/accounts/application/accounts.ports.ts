import type { DataPostgresClient, EventData, EventType } from '@flotilla/contracts';

/** Users as data-postgres stores them: the bot finds and unlinks Telegram accounts. */
export type UserDirectory = Pick<DataPostgresClient['users'], 'get' | 'getByTelegramId' | 'patch'>;

/** Publishes domain events after the write they report. */
export interface EventPublisher {
  publish<T extends EventType>(type: T, data: EventData<T>, options?: { userId?: string }): Promise<unknown>;
}
