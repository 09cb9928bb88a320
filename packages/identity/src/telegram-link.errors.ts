import { defineErrors } from '@flotilla/platform';

/** Errors of Telegram linking, raised by the api and the bot alike. */
export const telegramLinkErrors = defineErrors({
  LINK_CODE_INVALID: {
    code: 'TELEGRAM.LINK_CODE_INVALID',
    kind: 'invalid',
    title: 'The link code is unknown, used or expired',
  },
  ID_TAKEN: {
    code: 'TELEGRAM.ID_TAKEN',
    kind: 'conflict',
    title: 'This Telegram account is linked to another user',
  },
});
