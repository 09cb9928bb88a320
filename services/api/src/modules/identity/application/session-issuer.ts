import { createHash, randomBytes } from 'node:crypto';
import type { User } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import type { AccessTokens, RefreshTokenStore } from './identity.ports.js';

/** What login and refresh hand to the client. */
export interface Session {
  accessToken: string;
  /** Opaque; only its SHA-256 is stored. */
  refreshToken: string;
  expiresInSeconds: number;
  refreshExpiresInSeconds: number;
}

/** SHA-256 (hex) of a refresh token: the only form that leaves the api. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new opaque refresh token: 32 random bytes, base64url. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Issues access + refresh tokens for a user: a new refresh-token family, or a rotation within one. */
export interface SessionIssuer {
  /** Starts a new family (login). */
  start(user: User): Promise<Session>;
  /** An access token for `user` with an already stored refresh token (rotation). */
  withRefreshToken(user: User, refreshToken: string): Promise<Session>;
  /** The expiry of a new refresh token, ISO-8601. */
  refreshExpiry(): string;
}

/** Creates the {@link SessionIssuer}. */
export function createSessionIssuer(deps: {
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokenStore;
  refreshTtlSeconds: number;
  now?: () => number;
}): SessionIssuer {
  const now = deps.now ?? Date.now;
  const refreshExpiry = () => new Date(now() + deps.refreshTtlSeconds * 1000).toISOString();

  async function withRefreshToken(user: User, refreshToken: string): Promise<Session> {
    const accessToken = await deps.accessTokens.issue({ id: user.id, role: user.role });
    return {
      accessToken,
      refreshToken,
      expiresInSeconds: deps.accessTokens.ttlSeconds,
      refreshExpiresInSeconds: deps.refreshTtlSeconds,
    };
  }

  return {
    async start(user) {
      const refreshToken = newRefreshToken();
      const id = newId();
      await deps.refreshTokens.create({
        id,
        user_id: user.id,
        family_id: id,
        token_hash: hashRefreshToken(refreshToken),
        expires_at: refreshExpiry(),
      });
      return withRefreshToken(user, refreshToken);
    },
    withRefreshToken,
    refreshExpiry,
  };
}
