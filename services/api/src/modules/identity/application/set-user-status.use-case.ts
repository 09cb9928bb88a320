import type { User, UserStatus } from '@flotilla/contracts';
import { patchUserWithEvent } from '@flotilla/identity';
import { identityErrors } from '../domain/identity.errors.js';
import type { OutboxEvents, RefreshTokenStore, UserDirectory, UserProfiles } from './identity.ports.js';
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
  events: OutboxEvents;
}) {
  return async function setUserStatus(actorId: string, userId: string, status: UserStatus): Promise<User> {
    if (status === 'suspended' && actorId === userId) throw identityErrors.CANNOT_SUSPEND_SELF();
    const current = await deps.users.get(userId);
    if (!current) throw identityErrors.USER_NOT_FOUND();
    if (current.status === status) return current;
    const user = await patchUserWithEvent(deps, userId, {
      changes: { status },
      changed: ['status'],
      current,
    }).catch(translateUserError);
    if (!user) throw identityErrors.USER_NOT_FOUND();
    if (status === 'suspended') await deps.refreshTokens.revokeAllForUser(userId);
    await deps.profiles.invalidate(userId);
    return user;
  };
}
