import type { Readable } from 'node:stream';
import type {
  DocumentFailedData,
  DocumentIndexedData,
  MediaFailedData,
  MediaProcessingData,
  MediaSucceededData,
} from '@flotilla/contracts';
import { formatBytes, humanReason } from './failure-reasons.js';
import type {
  BlockedChats,
  ChatNotifier,
  DeliveryResult,
  NotificationSources,
  ProgressMessages,
} from './notifications.ports.js';

/** An event the bot tells users about. */
export type JobEvent =
  | { type: 'media.processing'; data: MediaProcessingData }
  | { type: 'media.succeeded'; data: MediaSucceededData }
  | { type: 'media.failed'; data: MediaFailedData }
  | { type: 'document.indexed'; data: DocumentIndexedData }
  | { type: 'document.failed'; data: DocumentFailedData };

/** What became of a notification (counted by result). */
export type NotifyResult = DeliveryResult | 'unlinked' | 'skipped';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Tells a job's owner in Telegram what happened to it. The chat is found from the owner's current
 * Telegram link (a private chat's id is the user's id), not from the event, so a job re-published by a
 * schedule (which no longer carries `telegram_chat_id`) still notifies, and an unlinked user is left
 * alone. A chat that blocked the bot is marked and skipped: a 403 is an answer, not a failure to retry.
 * Document jobs are told about by `document.*` only (their `media.*` events would repeat it).
 */
export function createNotifyJobEvent(deps: {
  sources: NotificationSources;
  notifier: ChatNotifier;
  progress: ProgressMessages;
  blocked: BlockedChats;
}) {
  const { sources, notifier, progress, blocked } = deps;

  async function chatOf(ownerId: string): Promise<number | undefined> {
    const user = await sources.users.get(ownerId);
    return user?.telegram_id ?? undefined;
  }

  async function editProgress(
    jobId: string,
    chatId: number,
    text: string,
  ): Promise<DeliveryResult | 'skipped'> {
    const message = await progress.find(jobId);
    if (!message || message.chatId !== chatId) return 'skipped';
    return notifier.editText(chatId, message.messageId, text);
  }

  async function deliver(event: JobEvent, chatId: number): Promise<NotifyResult> {
    switch (event.type) {
      case 'media.processing': {
        if (event.data.kind !== 'photo') return 'skipped';
        const attempt = event.data.attempt > 1 ? ` (attempt ${event.data.attempt})` : '';
        return editProgress(
          event.data.job_id,
          chatId,
          `⏳ Processing your photo${attempt}…\nJob ${event.data.job_id}`,
        );
      }
      case 'media.succeeded': {
        const { data } = event;
        if (data.kind !== 'photo' || !data.result.blob_id) return 'skipped';
        const size = data.result.size_bytes ?? 0;
        const saved = data.bytes_saved ?? data.original_size_bytes - size;
        const percent =
          data.original_size_bytes > 0 ? Math.round((saved / data.original_size_bytes) * 100) : 0;
        const summary =
          saved > 0
            ? `${formatBytes(data.original_size_bytes)} → ${formatBytes(size)} (saved ${formatBytes(saved)}, ${percent} %)`
            : `${formatBytes(size)} (already as small as it gets)`;
        await editProgress(data.job_id, chatId, `✅ Done.\nJob ${data.job_id}`);
        const download = await sources.blobs.download(data.result.blob_id);
        const bytes = await readAll(download.body);
        const extension = download.contentType === 'image/webp' ? 'webp' : 'jpg';
        return notifier.sendPhoto(
          chatId,
          { bytes, filename: `compressed.${extension}` },
          `Your compressed photo: ${summary}${data.result.width ? `, ${data.result.width}×${data.result.height}` : ''}.`,
        );
      }
      case 'media.failed': {
        if (event.data.kind !== 'photo') return 'skipped';
        await editProgress(event.data.job_id, chatId, `❌ Failed.\nJob ${event.data.job_id}`);
        return notifier.sendText(
          chatId,
          `Sorry, I could not process your photo: ${humanReason(event.data.error)}.\nJob ${event.data.job_id}`,
        );
      }
      case 'document.indexed': {
        const document = await sources.documents.get(event.data.document_id);
        const title = document?.title ?? 'Your document';
        if (document?.source_job_id)
          await editProgress(document.source_job_id, chatId, `✅ Indexed.\n${title}`);
        return notifier.sendText(
          chatId,
          `📚 “${title}” is in your knowledge base (${event.data.chunk_count} passages). Ask about it with /ask <question>.`,
        );
      }
      case 'document.failed': {
        const document = await sources.documents.get(event.data.document_id);
        const title = document?.title ?? 'your document';
        return notifier.sendText(
          chatId,
          `Sorry, I could not index “${title}”: ${humanReason(event.data.error)}.`,
        );
      }
    }
  }

  return async function notifyJobEvent(event: JobEvent): Promise<NotifyResult> {
    const chatId = await chatOf(event.data.owner_id);
    if (chatId === undefined) return 'unlinked';
    if (await blocked.isBlocked(chatId)) return 'blocked';
    const result = await deliver(event, chatId);
    if (result === 'blocked') await blocked.markBlocked(chatId);
    return result;
  };
}
