import type { User } from '@flotilla/contracts';
import type { Logger } from '@flotilla/platform';
import { identityErrors } from '../domain/identity.errors.js';
import type { EventPublisher, LinkCodes, UserDirectory, UserProfiles } from './identity.ports.js';
import { publishAfterWrite } from './publish-after-write.js';
import { translateUserError } from './upstream-errors.js';

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
 * refused (TELEGRAM.ID_TAKEN). On success the cached profile is dropped and `telegram.linked` and
 * `user.updated` are published. No token is ever issued for a Telegram id.
 */
export function createCompleteTelegramLink(deps: {
  users: UserDirectory;
  linkCodes: LinkCodes;
  profiles: UserProfiles;
  events: EventPublisher;
  logger: Logger;
}) {
  return async function completeTelegramLink(
    code: string,
    telegramId: number,
    chat: TelegramChat,
  ): Promise<TelegramLink> {
    const userId = await deps.linkCodes.consume(code);
    if (!userId) throw identityErrors.LINK_CODE_INVALID();
    const owner = await deps.users.getByTelegramId(telegramId);
    if (owner && owner.id !== userId) throw identityErrors.TELEGRAM_ID_TAKEN();
    if (owner) return { user: owner, chat, changed: false };
    const user = await deps.users.patch(userId, { telegram_id: telegramId }).catch(translateUserError);
    if (user.status === 'suspended')
      deps.logger.info({ user_id: userId }, 'telegram linked to a suspended user');
    await deps.profiles.invalidate(userId);
    await publishAfterWrite(
      deps.events,
      deps.logger,
      'telegram.linked',
      { user_id: userId, telegram_id: telegramId },
      userId,
    );
    await publishAfterWrite(
      deps.events,
      deps.logger,
      'user.updated',
      { user_id: user.id, version: user.version, changed: ['telegram_id'], status: user.status },
      userId,
    );
    return { user, chat, changed: true };
  };
}
