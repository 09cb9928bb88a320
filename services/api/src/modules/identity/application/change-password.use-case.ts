import { patchUserWithEvent } from '@flotilla/identity';
import { identityErrors } from '../domain/identity.errors.js';
import type {
  LoginLimiter,
  OutboxEvents,
  PasswordHasher,
  RefreshTokenStore,
  UserDirectory,
  UserProfiles,
} from './identity.ports.js';
import { translateUserError } from './upstream-errors.js';

/**
 * Changes the caller's password after checking the current one, then revokes every refresh token of the
 * user (all other sessions must log in again) and publishes `user.updated` (`changed: [password]`).
 * Wrong current passwords count against the same limits as failed logins, so a stolen access token
 * cannot be used to guess the password.
 */
export function createChangePassword(deps: {
  users: UserDirectory;
  refreshTokens: RefreshTokenStore;
  hasher: PasswordHasher;
  limiter: LoginLimiter;
  profiles: UserProfiles;
  events: OutboxEvents;
}) {
  return async function changePassword(
    userId: string,
    currentPassword: string,
    newPassword: string,
    ip: string,
  ): Promise<void> {
    const credentials = await deps.users.getCredentials(userId);
    if (!credentials) throw identityErrors.USER_NOT_FOUND();
    const account = credentials.user.email;
    await deps.limiter.check(ip, account);
    if (!(await deps.hasher.verify(credentials.password_hash, currentPassword))) {
      await deps.limiter.recordFailure(account);
      throw identityErrors.CURRENT_PASSWORD_INCORRECT();
    }
    const passwordHash = await deps.hasher.hash(newPassword);
    const user = await patchUserWithEvent(deps, userId, {
      changes: { password_hash: passwordHash },
      changed: ['password'],
      current: credentials.user,
    }).catch(translateUserError);
    if (!user) throw identityErrors.USER_NOT_FOUND();
    await deps.refreshTokens.revokeAllForUser(userId);
    await deps.profiles.invalidate(userId);
  };
}
