import type { RefreshTokenStore } from './identity.ports.js';
import { hashRefreshToken } from './session-issuer.js';

/**
 * Logs out: revokes the refresh-token family of the presented token (this device's session). Unknown
 * tokens are ignored, so logging out twice is harmless and reveals nothing.
 */
export function createLogout(deps: { refreshTokens: RefreshTokenStore }) {
  return async function logout(refreshToken: string): Promise<void> {
    const stored = await deps.refreshTokens.findByHash(hashRefreshToken(refreshToken));
    if (stored) await deps.refreshTokens.revokeFamily(stored.family_id);
  };
}
