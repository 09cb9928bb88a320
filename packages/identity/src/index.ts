/**
 * @packageDocumentation
 * Identity parts the api and the bot share: one-time Telegram link codes in Redis (issued by the api,
 * consumed by the bot), the use case that completes a link, with its errors, and a user change written
 * together with its `user.updated` event.
 */

export {
  createCompleteTelegramLink,
  type TelegramChat,
  type TelegramLink,
} from './complete-telegram-link.use-case.js';
export { createLinkCodes, LINK_CODE_LENGTH, LINK_CODE_PATTERN } from './link-codes.redis.js';
export {
  type AnnouncedUserChange,
  type AnnouncedUserStore,
  patchUserWithEvent,
} from './patch-user-with-event.js';
export { telegramLinkErrors } from './telegram-link.errors.js';
export type {
  LinkCodes,
  OutboxEvents,
  ProfileCache,
  TelegramUserDirectory,
} from './telegram-link.ports.js';
