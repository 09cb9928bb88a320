import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';

/** What came of one message to a chat. */
export type DeliveryResult = 'sent' | 'blocked' | 'undeliverable';

/** Messages to Telegram chats. Adapters translate Telegram's answers: 403 is `blocked`, a lost chat `undeliverable`. */
export interface ChatNotifier {
  sendText(chatId: number, text: string): Promise<DeliveryResult>;
  sendPhoto(
    chatId: number,
    photo: { bytes: Buffer; filename: string },
    caption: string,
  ): Promise<DeliveryResult>;
  /** Edits a progress message; `undeliverable` when it is gone or unchanged. */
  editText(chatId: number, messageId: number, text: string): Promise<DeliveryResult>;
}

/** The message that tells a chat about a job's progress, remembered when the upload was answered. */
export interface ProgressMessages {
  remember(jobId: string, message: { chatId: number; messageId: number }): Promise<void>;
  find(jobId: string): Promise<{ chatId: number; messageId: number } | undefined>;
}

/** Chats that blocked the bot: not written to again until the user writes (or the mark expires). */
export interface BlockedChats {
  isBlocked(chatId: number): Promise<boolean>;
  markBlocked(chatId: number): Promise<void>;
  clear(chatId: number): Promise<void>;
}

/** Lookups a notification needs: the owner's Telegram link, a document's title, a result's bytes. */
export interface NotificationSources {
  users: Pick<DataPostgresClient['users'], 'get'>;
  documents: Pick<DataPostgresClient['documents'], 'get'>;
  blobs: Pick<DataMongoClient['blobs'], 'download'>;
}
