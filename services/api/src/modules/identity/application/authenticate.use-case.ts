import type { User } from '@flotilla/contracts';
import { identityErrors } from '../domain/identity.errors.js';
import type { AccessTokens, Principal, UserProfiles } from './identity.ports.js';

/** The caller of a request once authenticated: who, with which role, and their current profile. */
export interface Authenticated {
  principal: Principal;
  user: User;
}

const BEARER = 'Bearer ';

/**
 * Authenticates a request from its `Authorization: Bearer <access JWT>` header: verifies the token, then
 * reads the user (through the profile cache) so a suspended or deleted user is refused even with a valid
 * token, and the role is the user's current role, not the one at login.
 */
export function createAuthenticate(deps: { accessTokens: AccessTokens; profiles: UserProfiles }) {
  return async function authenticate(authorization: string | undefined): Promise<Authenticated> {
    // The token's syntax is checked by verify (only when it is not one already verified).
    if (
      authorization === undefined ||
      !authorization.startsWith(BEARER) ||
      authorization.length === BEARER.length
    )
      throw identityErrors.TOKEN_INVALID({ detail: 'Send Authorization: Bearer <access token>' });
    const claims = await deps.accessTokens.verify(authorization.slice(BEARER.length));
    const user = await deps.profiles.get(claims.id);
    if (!user) throw identityErrors.TOKEN_INVALID({ detail: 'The user no longer exists' });
    if (user.status === 'suspended') throw identityErrors.ACCOUNT_SUSPENDED();
    return { principal: { id: user.id, role: user.role }, user };
  };
}
