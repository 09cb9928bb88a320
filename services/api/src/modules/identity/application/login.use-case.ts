import type { UserRole } from '@flotilla/contracts';
import { identityErrors } from '../domain/identity.errors.js';
import type { LoginLimiter, PasswordHasher, UserDirectory } from './identity.ports.js';
import type { Session, SessionIssuer } from './session-issuer.js';

/** A login attempt. `ip` is the client address the per-IP limit counts. */
export interface LoginInput {
  email: string;
  password: string;
  ip: string;
}

/**
 * Logs a user in: both rate limits first (429, or 503 when Redis is down: fail closed), then the password
 * (an unknown email costs the same argon2 time as a wrong password), then the status (a suspended user
 * gets no tokens). A success resets the account's failure count and starts a refresh-token family.
 */
export function createLogin(deps: {
  users: UserDirectory;
  hasher: PasswordHasher;
  limiter: LoginLimiter;
  sessions: SessionIssuer;
}) {
  return async function login(
    input: LoginInput,
  ): Promise<Session & { user: { id: string; role: UserRole } }> {
    const account = input.email.toLowerCase();
    await deps.limiter.check(input.ip, account);
    const credentials = await deps.users.getCredentialsByEmail(account);
    if (!credentials) {
      await deps.hasher.verifyNothing(input.password);
      await deps.limiter.recordFailure(account);
      throw identityErrors.INVALID_CREDENTIALS();
    }
    if (!(await deps.hasher.verify(credentials.password_hash, input.password))) {
      await deps.limiter.recordFailure(account);
      throw identityErrors.INVALID_CREDENTIALS();
    }
    const { user } = credentials;
    if (user.status === 'suspended') throw identityErrors.ACCOUNT_SUSPENDED();
    await deps.limiter.reset(account);
    const session = await deps.sessions.start(user);
    return { ...session, user: { id: user.id, role: user.role } };
  };
}
