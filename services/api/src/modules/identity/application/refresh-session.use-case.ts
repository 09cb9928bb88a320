import { RefreshTokenErrorCode } from '@flotilla/contracts';
import { type Logger, newId, UpstreamHttpError } from '@flotilla/platform';
import { identityErrors } from '../domain/identity.errors.js';
import type { RefreshTokenStore, UserProfiles } from './identity.ports.js';
import { hashRefreshToken, newRefreshToken, type Session, type SessionIssuer } from './session-issuer.js';
import { refreshTokenErrorCode } from './upstream-errors.js';

/**
 * Exchanges a refresh token for a new pair. The presented token is rotated (marked replaced, a new one
 * stored in the same family) in one data-postgres transaction. Presenting a token that was already
 * rotated is reuse: a sign of theft, so the whole family is revoked and every holder must log in again.
 */
export function createRefreshSession(deps: {
  refreshTokens: RefreshTokenStore;
  profiles: UserProfiles;
  sessions: SessionIssuer;
  logger: Logger;
}) {
  return async function refreshSession(refreshToken: string): Promise<Session> {
    const replacement = newRefreshToken();
    let userId: string;
    let familyId: string;
    try {
      const rotation = await deps.refreshTokens.rotate({
        token_hash: hashRefreshToken(refreshToken),
        replacement: {
          id: newId(),
          token_hash: hashRefreshToken(replacement),
          expires_at: deps.sessions.refreshExpiry(),
        },
      });
      userId = rotation.current.user_id;
      familyId = rotation.current.family_id;
    } catch (error) {
      const code = refreshTokenErrorCode(error);
      if (code === RefreshTokenErrorCode.REUSED) {
        const family = (error as UpstreamHttpError).problem?.family_id;
        if (typeof family === 'string') await deps.refreshTokens.revokeFamily(family);
        deps.logger.warn({ family_id: family }, 'refresh token reuse: family revoked');
        throw identityErrors.REFRESH_TOKEN_REUSED();
      }
      if (code !== undefined) throw identityErrors.REFRESH_TOKEN_INVALID();
      if (error instanceof UpstreamHttpError && error.status === 422)
        throw identityErrors.REFRESH_TOKEN_INVALID();
      throw error;
    }
    const user = await deps.profiles.get(userId);
    if (!user || user.status === 'suspended') {
      await deps.refreshTokens.revokeFamily(familyId);
      throw user ? identityErrors.ACCOUNT_SUSPENDED() : identityErrors.REFRESH_TOKEN_INVALID();
    }
    return deps.sessions.withRefreshToken(user, replacement);
  };
}
