import type { DataPostgresClient } from '@flotilla/contracts';

/** Users as data-postgres stores them: the bot finds and unlinks Telegram accounts. */
export type UserDirectory = Pick<DataPostgresClient['users'], 'get' | 'getByTelegramId' | 'patch'>;

/** Builds events to store with the write they report (data-postgres publishes them once it commits). */
export type { OutboxEvents } from '@flotilla/identity';
