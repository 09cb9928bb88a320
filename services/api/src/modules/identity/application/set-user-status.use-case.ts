import type { User, UserStatus } from '@flotilla/contracts';
import type { Logger } from '@flotilla/platform';
import { identityErrors } from '../domain/identity.errors.js';
import type { EventPublisher, RefreshTokenStore, UserDirectory, UserProfiles } from './identity.ports.js';
import { publishAfterWrite } from './publish-after-write.js';
import { translateUserError } from './upstream-errors.js';

/**
 * Suspends or reactivates a user (admin). Suspension revokes every refresh token of the user and drops
 * the cached profile, so its access tokens stop working at the next request (authentication reads the
 * status). Setting the status it already has changes nothing and publishes nothing.
 */
export function createSetUserStatus(deps: {
  users: UserDirectory;
  refreshTokens: RefreshTokenStore;
  profiles: UserProfiles;
  events: EventPublisher;
  logger: Logger;
}) {
  return async function setUserStatus(actorId: string, userId: string, status: UserStatus): Promise<User> {
    if (status === 'suspended' && actorId === userId) throw identityErrors.CANNOT_SUSPEND_SELF();
    const current = await deps.users.get(userId);
    if (!current) throw identityErrors.USER_NOT_FOUND();
    if (current.status === status) return current;
    const user = await deps.users.patch(userId, { status }).catch(translateUserError);
    if (status === 'suspended') await deps.refreshTokens.revokeAllForUser(userId);
    await deps.profiles.invalidate(userId);
    await publishAfterWrite(
      deps.events,
      deps.logger,
      'user.updated',
      { user_id: user.id, version: user.version, changed: ['status'], status: user.status },
      user.id,
    );
    return user;
  };
}
