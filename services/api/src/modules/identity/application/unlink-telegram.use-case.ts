import type { User } from '@flotilla/contracts';
import { patchUserWithEvent } from '@flotilla/identity';
import { identityErrors } from '../domain/identity.errors.js';
import type { OutboxEvents, UserDirectory, UserProfiles } from './identity.ports.js';
import { translateUserError } from './upstream-errors.js';

/** Unlinks the caller's Telegram account (TELEGRAM.NOT_LINKED when there is none). */
export function createUnlinkTelegram(deps: {
  users: UserDirectory;
  profiles: UserProfiles;
  events: OutboxEvents;
}) {
  return async function unlinkTelegram(userId: string): Promise<User> {
    const current = await deps.users.get(userId);
    if (!current) throw identityErrors.USER_NOT_FOUND();
    if (current.telegram_id === null) throw identityErrors.TELEGRAM_NOT_LINKED();
    const user = await patchUserWithEvent(deps, userId, {
      changes: { telegram_id: null },
      changed: ['telegram_id'],
      current,
    }).catch(translateUserError);
    if (!user) throw identityErrors.USER_NOT_FOUND();
    await deps.profiles.invalidate(userId);
    return user;
  };
}
