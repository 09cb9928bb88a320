import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpApp, Logger } from '@flotilla/platform';
import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { botErrors } from './bot.errors.js';
import type { BotContext } from './bot-context.js';

/** Path of the webhook (the gateway routes Telegram's POSTs here). */
export const WEBHOOK_PATH = '/telegram/webhook';
/** The header Telegram sends the `secret_token` of setWebhook in. */
export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

function sameSecret(presented: string | string[] | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  // Hash both sides so the comparison takes the same time whatever the lengths.
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * `POST /telegram/webhook`: checks Telegram's secret header in constant time (401 and nothing handled
 * otherwise), refuses updates with 503 until the bot is initialized (Telegram delivers them again),
 * answers 200 at once and handles the update in the background (never inline: Telegram waits for no
 * handler). `drain()` waits for the updates in hand (shutdown).
 */
export function registerWebhookRoute(
  app: HttpApp,
  deps: { bot: Bot<BotContext>; secret: string; logger: Logger },
): { drain(): Promise<void> } {
  const inFlight = new Set<Promise<void>>();

  app.post(
    WEBHOOK_PATH,
    {
      // Checked before the body is even read: an unauthenticated caller gets 401 and nothing else.
      onRequest: async (request) => {
        if (!sameSecret(request.headers[SECRET_HEADER], deps.secret))
          throw botErrors.WEBHOOK_SECRET_INVALID();
        // A process that just started listens before it knows who it is (getMe): an update taken then
        // could not be handled and would be lost. Refused with 503, Telegram delivers it again later.
        if (!deps.bot.isInited()) throw botErrors.NOT_READY();
      },
      schema: {
        hide: true,
        body: {
          type: 'object',
          required: ['update_id'],
          properties: { update_id: { type: 'integer', minimum: 0 } },
        },
      },
    },
    async (request, reply) => {
      const update = request.body as Update;
      const task = deps.bot
        .handleUpdate(update)
        .catch((error: unknown) =>
          deps.logger.error({ err: error, update_id: update.update_id }, 'update failed'),
        )
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      return reply.code(200).send({ ok: true });
    },
  );

  return {
    async drain() {
      await Promise.allSettled([...inFlight]);
    },
  };
}
