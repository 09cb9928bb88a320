import { type User, UserErrorCode } from '@flotilla/contracts';
import { isUpstreamHttpError, type Logger } from '@flotilla/platform';
import { patchUserWithEvent } from './patch-user-with-event.js';
import { telegramLinkErrors } from './telegram-link.errors.js';
import type { LinkCodes, OutboxEvents, ProfileCache, TelegramUserDirectory } from './telegram-link.ports.js';

/** The Telegram side of a link, as the bot sees it in `/start <code>`. */
export interface TelegramChat {
  chatId: number;
  username?: string | undefined;
}

/** The outcome of a completed link. */
export interface TelegramLink {
  user: User;
  chat: TelegramChat;
  /** False when this Telegram account was already linked to this user (a repeated `/start`). */
  changed: boolean;
}

/**
 * Completes a Telegram link with a one-time code (the bot calls this on `/start <code>`). The code is
 * consumed (one use) whether or not the link succeeds. A Telegram account linked to another user is
 * refused (TELEGRAM.ID_TAKEN). The api and the bot (`/start <code>`, `/link <code>`) share it. On
 * success the cached profile is dropped; `telegram.linked` and `user.updated` are stored with the write
 * and published by data-postgres once it commits. No token is ever issued for a Telegram id.
 */
export function createCompleteTelegramLink(deps: {
  users: TelegramUserDirectory;
  linkCodes: LinkCodes;
  /** The api drops its cached profile at once; without one, `user.updated` tells the api's consumer. */
  profiles?: ProfileCache;
  events: OutboxEvents;
  logger: Logger;
}) {
  return async function completeTelegramLink(
    code: string,
    telegramId: number,
    chat: TelegramChat,
  ): Promise<TelegramLink> {
    const userId = await deps.linkCodes.consume(code);
    if (!userId) throw telegramLinkErrors.LINK_CODE_INVALID();
    const owner = await deps.users.getByTelegramId(telegramId);
    if (owner && owner.id !== userId) throw telegramLinkErrors.ID_TAKEN();
    if (owner) return { user: owner, chat, changed: false };
    const linked = deps.events.prepare(
      'telegram.linked',
      { user_id: userId, telegram_id: telegramId },
      { userId },
    );
    const user = await patchUserWithEvent(deps, userId, {
      changes: { telegram_id: telegramId },
      changed: ['telegram_id'],
      also: [linked],
    }).catch((error: unknown) => {
      // Linked elsewhere meanwhile, or the user was deleted since the code was issued.
      if (isUpstreamHttpError(error) && error.upstreamCode === UserErrorCode.TELEGRAM_ID_TAKEN) {
        throw telegramLinkErrors.ID_TAKEN({ cause: error });
      }
      if (isUpstreamHttpError(error) && error.upstreamCode === UserErrorCode.NOT_FOUND) {
        throw telegramLinkErrors.LINK_CODE_INVALID({ cause: error });
      }
      throw error;
    });
    // The user was deleted since the code was issued.
    if (!user) throw telegramLinkErrors.LINK_CODE_INVALID();
    if (user.status === 'suspended')
      deps.logger.info({ user_id: userId }, 'telegram linked to a suspended user');
    await deps.profiles?.invalidate(userId);
    return { user, chat, changed: true };
  };
}
