import { telegramLinkErrors } from '@flotilla/identity';
import { defineErrors } from '@flotilla/platform';

/** Every error of the identity context, with its stable code. HTTP maps them by kind, once. */
export const identityErrors = defineErrors({
  INVALID_CREDENTIALS: {
    code: 'AUTH.INVALID_CREDENTIALS',
    kind: 'unauthenticated',
    title: 'Email or password is wrong',
  },
  TOKEN_INVALID: {
    code: 'AUTH.TOKEN_INVALID',
    kind: 'unauthenticated',
    title: 'The access token is missing or invalid',
  },
  TOKEN_EXPIRED: {
    code: 'AUTH.TOKEN_EXPIRED',
    kind: 'unauthenticated',
    title: 'The access token has expired',
  },
  ACCOUNT_SUSPENDED: {
    code: 'AUTH.ACCOUNT_SUSPENDED',
    kind: 'unauthenticated',
    title: 'This account is suspended',
  },
  REFRESH_TOKEN_INVALID: {
    code: 'AUTH.REFRESH_TOKEN_INVALID',
    kind: 'unauthenticated',
    title: 'The refresh token is unknown, expired or revoked',
  },
  REFRESH_TOKEN_REUSED: {
    code: 'AUTH.REFRESH_TOKEN_REUSED',
    kind: 'unauthenticated',
    title: 'The refresh token was used before; its whole session was revoked',
  },
  TOO_MANY_ATTEMPTS: {
    code: 'AUTH.TOO_MANY_ATTEMPTS',
    kind: 'rate_limited',
    title: 'Too many login attempts; try again later',
  },
  LIMITER_UNAVAILABLE: {
    code: 'AUTH.LIMITER_UNAVAILABLE',
    kind: 'unavailable',
    title: 'Login is unavailable right now; try again shortly',
  },
  HASHING_BUSY: {
    code: 'AUTH.BUSY',
    kind: 'unavailable',
    title: 'Too many password operations in progress; try again shortly',
  },
  CURRENT_PASSWORD_INCORRECT: {
    code: 'AUTH.CURRENT_PASSWORD_INCORRECT',
    kind: 'forbidden',
    title: 'The current password is wrong',
  },
  USER_NOT_FOUND: { code: 'USER.NOT_FOUND', kind: 'not_found', title: 'No such user' },
  EMAIL_TAKEN: { code: 'USER.EMAIL_TAKEN', kind: 'conflict', title: 'This email is already registered' },
  USERNAME_TAKEN: { code: 'USER.USERNAME_TAKEN', kind: 'conflict', title: 'This username is already taken' },
  CANNOT_SUSPEND_SELF: {
    code: 'USER.CANNOT_SUSPEND_SELF',
    kind: 'conflict',
    title: 'An admin cannot suspend their own account',
  },
  // Declared once, with Telegram linking (shared with the bot).
  TELEGRAM_ID_TAKEN: telegramLinkErrors.ID_TAKEN.definition,
  TELEGRAM_NOT_LINKED: {
    code: 'TELEGRAM.NOT_LINKED',
    kind: 'not_found',
    title: 'No Telegram account is linked',
  },
});
