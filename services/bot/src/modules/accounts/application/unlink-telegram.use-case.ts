import type { Logger } from '@flotilla/platform';
import type { EventPublisher, UserDirectory } from './accounts.ports.js';

/** What `/unlink` achieved. */
export type UnlinkOutcome = { status: 'unlinked' } | { status: 'not-linked' };

/** Unlinks the Telegram account of the update's sender from its user, and publishes `user.updated`. */
export function createUnlinkTelegram(deps: { users: UserDirectory; events: EventPublisher; logger: Logger }) {
  return async function unlinkTelegram(telegramId: number): Promise<UnlinkOutcome> {
    const owner = await deps.users.getByTelegramId(telegramId);
    if (!owner) return { status: 'not-linked' };
    const user = await deps.users.patch(owner.id, { telegram_id: null });
    await deps.events
      .publish(
        'user.updated',
        { user_id: user.id, version: user.version, changed: ['telegram_id'], status: user.status },
        { userId: user.id },
      )
      .catch((error: unknown) =>
        deps.logger.warn({ err: error, user_id: user.id }, 'user.updated not published'),
      );
    return { status: 'unlinked' };
  };
}
