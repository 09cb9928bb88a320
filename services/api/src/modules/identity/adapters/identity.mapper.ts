import type { User } from '@flotilla/contracts';
import type { Session } from '../application/session-issuer.js';
import type { Profile } from './identity.schemas.js';

/** The public view of a user. */
export function toProfile(user: User): Profile {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    display_name: user.display_name,
    role: user.role,
    status: user.status,
    telegram_id: user.telegram_id,
    created_at: user.created_at,
    updated_at: user.updated_at,
  };
}

/** A token pair on the wire. */
export function toTokenPair(session: Session) {
  return {
    access_token: session.accessToken,
    token_type: 'Bearer' as const,
    expires_in: session.expiresInSeconds,
    refresh_token: session.refreshToken,
    refresh_expires_in: session.refreshExpiresInSeconds,
  };
}
