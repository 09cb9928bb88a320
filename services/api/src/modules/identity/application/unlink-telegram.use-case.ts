import type { User } from '@flotilla/contracts';
import type { Logger } from '@flotilla/platform';
import { identityErrors } from '../domain/identity.errors.js';
import type { EventPublisher, UserDirectory, UserProfiles } from './identity.ports.js';
import { publishAfterWrite } from './publish-after-write.js';
import { translateUserError } from './upstream-errors.js';

/** Unlinks the caller's Telegram account (TELEGRAM.NOT_LINKED when there is none). */
export function createUnlinkTelegram(deps: {
  users: UserDirectory;
  profiles: UserProfiles;
  events: EventPublisher;
  logger: Logger;
}) {
  return async function unlinkTelegram(userId: string): Promise<User> {
    const current = await deps.users.get(userId);
    if (!current) throw identityErrors.USER_NOT_FOUND();
    if (current.telegram_id === null) throw identityErrors.TELEGRAM_NOT_LINKED();
    const user = await deps.users.patch(userId, { telegram_id: null }).catch(translateUserError);
    await deps.profiles.invalidate(userId);
    await publishAfterWrite(
      deps.events,
      deps.logger,
      'user.updated',
      { user_id: user.id, version: user.version, changed: ['telegram_id'], status: user.status },
      userId,
    );
    return user;
  };
}
