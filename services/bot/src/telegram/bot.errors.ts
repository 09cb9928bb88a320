import { defineErrors } from '@flotilla/platform';

/** Errors of the bot's HTTP edge, with their stable codes. */
export const botErrors = defineErrors({
  WEBHOOK_SECRET_INVALID: {
    code: 'BOT.WEBHOOK_SECRET_INVALID',
    kind: 'unauthenticated',
    title: 'The webhook secret is missing or wrong',
  },
});
