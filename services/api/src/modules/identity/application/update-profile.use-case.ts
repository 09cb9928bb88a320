import type { User } from '@flotilla/contracts';
import { patchUserWithEvent } from '@flotilla/identity';
import { identityErrors } from '../domain/identity.errors.js';
import type { OutboxEvents, UserDirectory, UserProfiles } from './identity.ports.js';
import { translateUserError } from './upstream-errors.js';

/** The profile fields a user may change about themselves (never role, status or email). */
export interface ProfileChanges {
  username?: string;
  displayName?: string | null;
}

/** Updates the caller's own profile with its `user.updated` event, and invalidates its cache entry. */
export function createUpdateProfile(deps: {
  users: UserDirectory;
  profiles: UserProfiles;
  events: OutboxEvents;
}) {
  return async function updateProfile(userId: string, changes: ProfileChanges): Promise<User> {
    const changed = [
      ...(changes.username !== undefined ? (['username'] as const) : []),
      ...(changes.displayName !== undefined ? (['display_name'] as const) : []),
    ];
    const user = await patchUserWithEvent(deps, userId, {
      changes: {
        ...(changes.username !== undefined && { username: changes.username }),
        ...(changes.displayName !== undefined && { display_name: changes.displayName }),
      },
      changed,
    }).catch(translateUserError);
    if (!user) throw identityErrors.USER_NOT_FOUND();
    await deps.profiles.invalidate(userId);
    return user;
  };
}
