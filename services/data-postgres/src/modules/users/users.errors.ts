import { UserErrorCode } from '@flotilla/contracts';
import { defineErrors } from '@flotilla/platform';

/** Failures of user operations; codes come from the contract. */
export const userErrors = defineErrors({
  NOT_FOUND: { code: UserErrorCode.NOT_FOUND, kind: 'not_found', title: 'No such user' },
  ALREADY_EXISTS: { code: UserErrorCode.ALREADY_EXISTS, kind: 'conflict', title: 'The user exists already' },
  EMAIL_TAKEN: { code: UserErrorCode.EMAIL_TAKEN, kind: 'conflict', title: 'The email is already in use' },
  USERNAME_TAKEN: {
    code: UserErrorCode.USERNAME_TAKEN,
    kind: 'conflict',
    title: 'The username is already in use',
  },
  TELEGRAM_ID_TAKEN: {
    code: UserErrorCode.TELEGRAM_ID_TAKEN,
    kind: 'conflict',
    title: 'The Telegram account is linked to another user',
  },
  VERSION_MISMATCH: {
    code: UserErrorCode.VERSION_MISMATCH,
    kind: 'precondition_failed',
    title: 'The user was changed since the version you read',
  },
});
