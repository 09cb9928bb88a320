import type { Logger } from '@flotilla/platform';
import { identityErrors } from '../domain/identity.errors.js';
import type {
  EventPublisher,
  PasswordHasher,
  RefreshTokenStore,
  UserDirectory,
  UserProfiles,
} from './identity.ports.js';
import { publishAfterWrite } from './publish-after-write.js';
import { translateUserError } from './upstream-errors.js';

/**
 * Changes the caller's password after checking the current one, then revokes every refresh token of the
 * user (all other sessions must log in again) and publishes `user.updated` (`changed: [password]`).
 */
export function createChangePassword(deps: {
  users: UserDirectory;
  refreshTokens: RefreshTokenStore;
  hasher: PasswordHasher;
  profiles: UserProfiles;
  events: EventPublisher;
  logger: Logger;
}) {
  return async function changePassword(
    userId: string,
    currentPassword: string,
    newPassword: string,
  ): Promise<void> {
    const credentials = await deps.users.getCredentials(userId);
    if (!credentials) throw identityErrors.USER_NOT_FOUND();
    if (!(await deps.hasher.verify(credentials.password_hash, currentPassword))) {
      throw identityErrors.CURRENT_PASSWORD_INCORRECT();
    }
    const passwordHash = await deps.hasher.hash(newPassword);
    const user = await deps.users.patch(userId, { password_hash: passwordHash }).catch(translateUserError);
    await deps.refreshTokens.revokeAllForUser(userId);
    await deps.profiles.invalidate(userId);
    await publishAfterWrite(
      deps.events,
      deps.logger,
      'user.updated',
      { user_id: user.id, version: user.version, changed: ['password'], status: user.status },
      user.id,
    );
  };
}
