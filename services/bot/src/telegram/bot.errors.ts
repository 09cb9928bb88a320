import { defineErrors } from '@flotilla/platform';

/** Errors of the bot's HTTP edge, with their stable codes. */
export const botErrors = defineErrors({
  WEBHOOK_SECRET_INVALID: {
    code: 'BOT.WEBHOOK_SECRET_INVALID',
    kind: 'unauthenticated',
    title: 'The webhook secret is missing or wrong',
  },
  NOT_READY: {
    code: 'BOT.NOT_READY',
    kind: 'unavailable',
    title: 'The bot is still connecting to Telegram and takes no update yet',
  },
});
