/**
 * @packageDocumentation
 * Identity parts the api and the bot share: one-time Telegram link codes in Redis (issued by the api,
 * consumed by the bot) and the use case that completes a link, with its errors.
 */

export {
  createCompleteTelegramLink,
  type TelegramChat,
  type TelegramLink,
} from './complete-telegram-link.use-case.js';
export { createLinkCodes, LINK_CODE_LENGTH, LINK_CODE_PATTERN } from './link-codes.redis.js';
export { telegramLinkErrors } from './telegram-link.errors.js';
export type {
  EventPublisher,
  LinkCodes,
  ProfileCache,
  TelegramUserDirectory,
} from './telegram-link.ports.js';
