import type { User } from '@flotilla/contracts';
import type { Logger } from '@flotilla/platform';
import type { EventPublisher, UserDirectory, UserProfiles } from './identity.ports.js';
import { publishAfterWrite } from './publish-after-write.js';
import { translateUserError } from './upstream-errors.js';

/** The profile fields a user may change about themselves (never role, status or email). */
export interface ProfileChanges {
  username?: string;
  displayName?: string | null;
}

/** Updates the caller's own profile, invalidates its cache entry and publishes `user.updated`. */
export function createUpdateProfile(deps: {
  users: UserDirectory;
  profiles: UserProfiles;
  events: EventPublisher;
  logger: Logger;
}) {
  return async function updateProfile(userId: string, changes: ProfileChanges): Promise<User> {
    const user = await deps.users
      .patch(userId, {
        ...(changes.username !== undefined && { username: changes.username }),
        ...(changes.displayName !== undefined && { display_name: changes.displayName }),
      })
      .catch(translateUserError);
    await deps.profiles.invalidate(userId);
    const changed = [
      ...(changes.username !== undefined ? (['username'] as const) : []),
      ...(changes.displayName !== undefined ? (['display_name'] as const) : []),
    ];
    await publishAfterWrite(
      deps.events,
      deps.logger,
      'user.updated',
      { user_id: user.id, version: user.version, changed, status: user.status },
      user.id,
    );
    return user;
  };
}
