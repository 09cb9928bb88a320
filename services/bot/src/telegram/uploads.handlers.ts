import { Readable } from 'node:stream';
import type { User } from '@flotilla/contracts';
import { Composer } from 'grammy';
import type { ProgressMessages } from '../modules/notifications/application/notifications.ports.js';
import type { BotContext } from './bot-context.js';
import { TEXTS } from './texts.js';

/** Telegram lets bots download files up to 20 MB (`getFile`). */
export const TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

/** The outcome of handing a received file to the shared upload use case. */
export type ReceivedFile = { status: 'accepted'; jobId: string } | { status: 'refused'; reason: string };

/** What the upload handlers need. */
export interface UploadServices {
  findUser(telegramId: number): Promise<User | null>;
  /** Stores the file, creates its job and publishes its event (the same use case as the api's uploads). */
  receiveFile(input: {
    ownerId: string;
    kind: 'photo' | 'document';
    filename: string;
    stream: Readable;
    chatId: number;
  }): Promise<ReceivedFile>;
  progress: ProgressMessages;
  /** Downloads a file of the update from Telegram (getFile, then the file URL). */
  download(fileId: string): Promise<Readable>;
  maxPhotoBytes: number;
  maxDocumentBytes: number;
}

/** Downloads through grammY's `getFile` and the Bot API's file URL. */
export function createTelegramDownloader(options: {
  apiRoot: string;
  token: string;
  getFile: (id: string) => Promise<{ file_path?: string }>;
}) {
  return async function download(fileId: string): Promise<Readable> {
    const file = await options.getFile(fileId);
    if (!file.file_path) throw new Error('Telegram returned no file_path');
    const response = await fetch(`${options.apiRoot}/file/bot${options.token}/${file.file_path}`);
    if (!response.ok || !response.body) throw new Error(`file download failed with ${response.status}`);
    return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
  };
}

/**
 * Photos (largest size) and documents. The size Telegram reports is checked before anything is
 * downloaded (our limit, and Telegram's 20 MB `getFile` limit); then the file streams from Telegram into
 * the shared upload use case, the user gets the job id at once, and the reply is remembered so the
 * notifications consumer can edit it as the job progresses.
 */
export function createUploadHandlers(services: UploadServices): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  async function receive(
    ctx: BotContext,
    file: { fileId: string; size: number | undefined; filename: string },
    kind: 'photo' | 'document',
  ): Promise<void> {
    if (!ctx.from || !ctx.chat) return;
    const limit = Math.min(
      kind === 'photo' ? services.maxPhotoBytes : services.maxDocumentBytes,
      TELEGRAM_DOWNLOAD_LIMIT,
    );
    if (file.size !== undefined && file.size > limit) {
      await ctx.reply(kind === 'photo' ? TEXTS.photoTooLarge(limit) : TEXTS.documentTooLarge(limit));
      return;
    }
    const user = await services.findUser(ctx.from.id);
    if (!user) return void (await ctx.reply(TEXTS.notLinked));
    await ctx.replyWithChatAction(kind === 'photo' ? 'upload_photo' : 'upload_document');
    const stream = await services.download(file.fileId);
    const outcome = await services.receiveFile({
      ownerId: user.id,
      kind,
      filename: file.filename,
      stream,
      chatId: ctx.chat.id,
    });
    if (outcome.status === 'refused') return void (await ctx.reply(TEXTS.uploadRefused(outcome.reason)));
    const reply = await ctx.reply(TEXTS.received(kind, outcome.jobId));
    await services.progress.remember(outcome.jobId, { chatId: ctx.chat.id, messageId: reply.message_id });
  }

  composer.on('message:photo', async (ctx) => {
    ctx.handlerName = 'photo';
    const largest = ctx.message.photo.at(-1);
    if (!largest) return;
    await receive(
      ctx,
      { fileId: largest.file_id, size: largest.file_size, filename: `photo-${ctx.message.message_id}.jpg` },
      'photo',
    );
  });

  composer.on('message:document', async (ctx) => {
    ctx.handlerName = 'document';
    const { document } = ctx.message;
    const isImage = document.mime_type?.startsWith('image/') ?? false;
    await receive(
      ctx,
      { fileId: document.file_id, size: document.file_size, filename: document.file_name ?? 'document' },
      isImage ? 'photo' : 'document',
    );
  });

  return composer;
}
