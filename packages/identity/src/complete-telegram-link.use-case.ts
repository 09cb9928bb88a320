import { type User, UserErrorCode } from '@flotilla/contracts';
import { isUpstreamHttpError, type Logger } from '@flotilla/platform';
import { telegramLinkErrors } from './telegram-link.errors.js';
import type {
  EventPublisher,
  LinkCodes,
  ProfileCache,
  TelegramUserDirectory,
} from './telegram-link.ports.js';

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
 * refused (TELEGRAM.ID_TAKEN). The api and the bot (`/start <code>`, `/link <code>`) share it. On success the cached profile is dropped and `telegram.linked` and
 * `user.updated` are published. No token is ever issued for a Telegram id.
 */
export function createCompleteTelegramLink(deps: {
  users: TelegramUserDirectory;
  linkCodes: LinkCodes;
  /** The api drops its cached profile at once; without one, `user.updated` tells the api's consumer. */
  profiles?: ProfileCache;
  events: EventPublisher;
  logger: Logger;
}) {
  /** A write that happened is not undone by a lost event; the failure is logged with the event. */
  async function publish<T extends Parameters<EventPublisher['publish']>[0]>(
    type: T,
    data: Parameters<EventPublisher['publish']>[1] & object,
    userId: string,
  ): Promise<void> {
    try {
      await deps.events.publish(type, data as never, { userId });
    } catch (error) {
      deps.logger.error(
        { err: error, event_type: type, data },
        'event not published after a successful write',
      );
    }
  }

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
    const user = await deps.users.patch(userId, { telegram_id: telegramId }).catch((error: unknown) => {
      // Linked elsewhere meanwhile, or the user was deleted since the code was issued.
      if (isUpstreamHttpError(error) && error.upstreamCode === UserErrorCode.TELEGRAM_ID_TAKEN) {
        throw telegramLinkErrors.ID_TAKEN({ cause: error });
      }
      if (isUpstreamHttpError(error) && error.upstreamCode === UserErrorCode.NOT_FOUND) {
        throw telegramLinkErrors.LINK_CODE_INVALID({ cause: error });
      }
      throw error;
    });
    if (user.status === 'suspended')
      deps.logger.info({ user_id: userId }, 'telegram linked to a suspended user');
    await deps.profiles?.invalidate(userId);
    await publish('telegram.linked', { user_id: userId, telegram_id: telegramId }, userId);
    await publish(
      'user.updated',
      { user_id: user.id, version: user.version, changed: ['telegram_id'], status: user.status },
      userId,
    );
    return { user, chat, changed: true };
  };
}
