import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';
import type { Logger, Messaging, RedisConnection } from '@flotilla/platform';
import type { BotConfig } from '../config.js';
import type { ReceivedFile, UploadServices } from './uploads.handlers.js';

/** Hands a file received in Telegram to the shared upload use cases. */
export function createReceiveFile(_deps: {
  config: BotConfig;
  dataPostgres: DataPostgresClient;
  dataMongo: DataMongoClient;
  messaging: Messaging;
  redis: RedisConnection;
  logger: Logger;
}): UploadServices['receiveFile'] {
  return async (): Promise<ReceivedFile> => ({ status: 'refused', reason: 'uploads are not wired yet' });
}
