import { RefreshTokenErrorCode, UserErrorCode } from '@flotilla/contracts';
import { isUpstreamHttpError } from '@flotilla/platform';
import { identityErrors } from '../domain/identity.errors.js';

/** Translates data-postgres's answers about users into identity errors; anything else is rethrown. */
export function translateUserError(error: unknown): never {
  if (isUpstreamHttpError(error)) {
    switch (error.upstreamCode) {
      case UserErrorCode.EMAIL_TAKEN:
        throw identityErrors.EMAIL_TAKEN();
      case UserErrorCode.USERNAME_TAKEN:
        throw identityErrors.USERNAME_TAKEN();
      case UserErrorCode.TELEGRAM_ID_TAKEN:
        throw identityErrors.TELEGRAM_ID_TAKEN();
      case UserErrorCode.NOT_FOUND:
        throw identityErrors.USER_NOT_FOUND();
    }
  }
  throw error;
}

/** The refresh-token code of a data-postgres answer, when it is one. */
export function refreshTokenErrorCode(error: unknown): string | undefined {
  if (!isUpstreamHttpError(error)) return undefined;
  const code = error.upstreamCode;
  return Object.values(RefreshTokenErrorCode).includes(code as never) ? code : undefined;
}
