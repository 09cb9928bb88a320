import { patchUserWithEvent } from '@flotilla/identity';
import type { OutboxEvents, UserDirectory } from './accounts.ports.js';

/** What `/unlink` achieved. */
export type UnlinkOutcome = { status: 'unlinked' } | { status: 'not-linked' };

/** Unlinks the Telegram account of the update's sender from its user, with its `user.updated` event. */
export function createUnlinkTelegram(deps: { users: UserDirectory; events: OutboxEvents }) {
  return async function unlinkTelegram(telegramId: number): Promise<UnlinkOutcome> {
    const owner = await deps.users.getByTelegramId(telegramId);
    if (!owner) return { status: 'not-linked' };
    const user = await patchUserWithEvent(deps, owner.id, {
      changes: { telegram_id: null },
      changed: ['telegram_id'],
      current: owner,
    });
    return user ? { status: 'unlinked' } : { status: 'not-linked' };
  };
}
