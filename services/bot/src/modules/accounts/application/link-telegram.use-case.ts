import type { User } from '@flotilla/contracts';
import type { Logger } from '@flotilla/platform';
import type { EventPublisher, LinkCodes, UserDirectory } from './accounts.ports.js';

/** What a `/start <code>` or `/link <code>` achieved. */
export type LinkOutcome =
  | { status: 'linked'; user: User }
  | { status: 'already-linked'; user: User }
  | { status: 'invalid-code' }
  | { status: 'taken' };

const CODE_SHAPE = /^[A-Za-z0-9]{6,32}$/;

/**
 * Links the Telegram account of a verified update to the user who asked the api for `code`. The code is
 * consumed (one use) whether or not the link succeeds; a Telegram account linked to another user is
 * refused. On success `telegram.linked` and `user.updated` are published (the api drops its cached
 * profile on the latter). Identity comes only from the update's `from.id`; no token is ever issued.
 */
export function createLinkTelegram(deps: {
  users: UserDirectory;
  linkCodes: LinkCodes;
  events: EventPublisher;
  logger: Logger;
}) {
  async function publish(user: User, telegramId: number): Promise<void> {
    try {
      await deps.events.publish(
        'telegram.linked',
        { user_id: user.id, telegram_id: telegramId },
        { userId: user.id },
      );
      await deps.events.publish(
        'user.updated',
        { user_id: user.id, version: user.version, changed: ['telegram_id'], status: user.status },
        { userId: user.id },
      );
    } catch (error) {
      // The link is written; a lost event only delays the api's cache refresh (its TTL bounds it).
      deps.logger.warn({ err: error, user_id: user.id }, 'telegram link events not published');
    }
  }

  return async function linkTelegram(code: string, telegramId: number): Promise<LinkOutcome> {
    if (!CODE_SHAPE.test(code)) return { status: 'invalid-code' };
    const userId = await deps.linkCodes.consume(code);
    if (!userId) return { status: 'invalid-code' };
    const owner = await deps.users.getByTelegramId(telegramId);
    if (owner && owner.id !== userId) return { status: 'taken' };
    if (owner) return { status: 'already-linked', user: owner };
    const user = await deps.users.patch(userId, { telegram_id: telegramId });
    await publish(user, telegramId);
    return { status: 'linked', user };
  };
}
