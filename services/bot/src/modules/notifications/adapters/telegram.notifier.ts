import { type Api, GrammyError, InputFile } from 'grammy';
import type { ChatNotifier, DeliveryResult } from '../application/notifications.ports.js';

/**
 * Telegram's answers as delivery results: 403 (blocked, deactivated, kicked) is `blocked`; a 400 about the
 * chat or the message (not found, not modified) is `undeliverable`. Anything else (429 after auto-retry
 * gave up, 5xx, network) is thrown, so the consumer retries later.
 */
async function deliver(call: () => Promise<unknown>): Promise<DeliveryResult> {
  try {
    await call();
    return 'sent';
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 403) return 'blocked';
    if (error instanceof GrammyError && error.error_code === 400) return 'undeliverable';
    throw error;
  }
}

/** Sends notifications through grammY's API client (auto-retry and the throttler are installed on it). */
export function createTelegramNotifier(api: Api): ChatNotifier {
  return {
    sendText: (chatId, text) => deliver(() => api.sendMessage(chatId, text)),
    sendPhoto: (chatId, photo, caption) =>
      deliver(() => api.sendPhoto(chatId, new InputFile(photo.bytes, photo.filename), { caption })),
    editText: (chatId, messageId, text) => deliver(() => api.editMessageText(chatId, messageId, text)),
  };
}
