import { RefreshTokenErrorCode } from '@flotilla/contracts';
import { defineErrors } from '@flotilla/platform';

/** Failures of refresh token operations; codes come from the contract. */
export const refreshTokenErrors = defineErrors({
  NOT_FOUND: { code: RefreshTokenErrorCode.NOT_FOUND, kind: 'not_found', title: 'No such refresh token' },
  ALREADY_EXISTS: {
    code: RefreshTokenErrorCode.ALREADY_EXISTS,
    kind: 'conflict',
    title: 'The refresh token exists already',
  },
  HASH_TAKEN: {
    code: RefreshTokenErrorCode.HASH_TAKEN,
    kind: 'conflict',
    title: 'A refresh token with this hash exists already',
  },
  REUSED: {
    code: RefreshTokenErrorCode.REUSED,
    kind: 'conflict',
    title: 'The refresh token was already rotated',
  },
  REVOKED: { code: RefreshTokenErrorCode.REVOKED, kind: 'conflict', title: 'The refresh token was revoked' },
  EXPIRED: { code: RefreshTokenErrorCode.EXPIRED, kind: 'conflict', title: 'The refresh token has expired' },
  USER_NOT_FOUND: {
    code: RefreshTokenErrorCode.USER_NOT_FOUND,
    kind: 'invalid',
    title: 'The refresh token names no existing user',
  },
});
