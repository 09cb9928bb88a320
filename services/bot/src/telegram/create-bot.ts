import { isDomainError, type Logger, runWithContext, withRootSpan } from '@flotilla/platform';
import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { apiThrottler } from '@grammyjs/transformer-throttler';
import { Bot } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { Redis } from 'ioredis';
import type { BlockedChats } from '../modules/notifications/application/notifications.ports.js';
import type { BotMetrics } from './bot.metrics.js';
import type { BotContext } from './bot-context.js';
import { createChatSession } from './chat-session.js';
import { type CommandServices, createCommandHandlers } from './commands.handlers.js';
import { TEXTS } from './texts.js';
import { createUpdateDedupe } from './update-dedupe.js';
import { createTelegramDownloader, createUploadHandlers, type UploadServices } from './uploads.handlers.js';

/** Options of {@link createTelegramBot}. */
export interface TelegramBotOptions {
  token: string;
  apiRoot: string;
  redis: Redis;
  logger: Logger;
  metrics: BotMetrics;
  blocked: BlockedChats;
  services: CommandServices & Omit<UploadServices, 'download'>;
  sessionTtlSeconds: number;
  updateDedupeSeconds: number;
  chatMinIntervalMs: number;
  globalPerSecond: number;
  retryMaxDelaySeconds: number;
  /** Skips `getMe` at start (tests and benchmarks that know the bot). */
  botInfo?: UserFromGetMe;
}

function updateType(ctx: BotContext): string {
  return Object.keys(ctx.update).find((key) => key !== 'update_id') ?? 'unknown';
}

/**
 * Builds the grammY bot: outgoing calls through the throttler (per chat and global) and auto-retry
 * (Telegram's 429 `retry_after` respected, up to a bound); incoming updates deduplicated by `update_id`,
 * measured, given a request id and a Redis session, and every handler error answered with a friendly
 * reply (logged with the request id, never with the user's text).
 */
export function createTelegramBot(options: TelegramBotOptions): Bot<BotContext> {
  const bot = new Bot<BotContext>(options.token, {
    client: { apiRoot: options.apiRoot },
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
  });
  // Installed first, so it runs inside auto-retry: a retried call waits its turn again.
  bot.api.config.use(
    apiThrottler({
      global: {
        reservoir: options.globalPerSecond,
        reservoirRefreshAmount: options.globalPerSecond,
        reservoirRefreshInterval: 1000,
      },
      // Groups: Telegram allows about 20 messages a minute per group.
      group: {
        maxConcurrent: 1,
        minTime: Math.max(options.chatMinIntervalMs, 3000),
        reservoir: 20,
        reservoirRefreshAmount: 20,
        reservoirRefreshInterval: 60_000,
      },
      out: { maxConcurrent: 1, minTime: options.chatMinIntervalMs },
    }),
  );
  bot.api.config.use(
    autoRetry({
      maxRetryAttempts: 5,
      maxDelaySeconds: options.retryMaxDelaySeconds,
      rethrowHttpErrors: false,
    }),
  );

  const botId = Number(options.token.split(':')[0]);
  const firstDelivery = createUpdateDedupe(options.redis, { botId, ttlSeconds: options.updateDedupeSeconds });
  const { logger, metrics } = options;

  // Updates of one chat are handled in order (the session is read and written per chat); chats run
  // concurrently. Installed first, so it also orders webhook updates handled in the background.
  bot.use(sequentialize((ctx) => (ctx.chat ? String(ctx.chat.id) : undefined)));

  // Each update is the root span of its own trace (it arrives on no instrumented transport): the
  // data-service calls, the events published and the worker's processing they cause join it.
  bot.use((ctx, next) => {
    const type = updateType(ctx);
    return withRootSpan(
      `telegram ${type}`,
      { 'telegram.update_type': type, 'telegram.update_id': ctx.update.update_id },
      async (setAttributes) => {
        try {
          await handleOnce(ctx, next, type);
        } finally {
          if (ctx.handlerName) setAttributes({ 'bot.handler': ctx.handlerName });
        }
      },
    );
  });

  async function handleOnce(ctx: BotContext, next: () => Promise<void>, type: string): Promise<void> {
    if (!(await firstDelivery(ctx.update.update_id))) {
      metrics.updates.inc({ type, duplicate: 'true' });
      logger.info({ update_id: ctx.update.update_id, type }, 'duplicate update skipped');
      return;
    }
    metrics.updates.inc({ type, duplicate: 'false' });
    ctx.requestId = `tg-${botId}-${ctx.update.update_id}`;
    ctx.handlerName = 'unhandled';
    const started = performance.now();
    await runWithContext({ requestId: ctx.requestId }, async () => {
      try {
        await next();
      } catch (error) {
        metrics.errors.inc({ handler: ctx.handlerName });
        const known = isDomainError(error) && error.kind !== 'internal' && error.kind !== 'unavailable';
        logger.error(
          {
            err: known ? undefined : error,
            code: isDomainError(error) ? error.code : undefined,
            update_id: ctx.update.update_id,
            handler: ctx.handlerName,
          },
          'bot handler failed',
        );
        if (ctx.chat) {
          const text = known ? `Sorry: ${error.detail ?? error.title}.` : TEXTS.failure(ctx.requestId);
          // A reply can fail before any call is made (an update whose chat has no id): best effort only.
          await Promise.resolve()
            .then(() => ctx.reply(text))
            .catch(() => undefined);
        }
      } finally {
        const seconds = (performance.now() - started) / 1000;
        metrics.handlerDuration.observe({ handler: ctx.handlerName }, seconds);
        logger.info(
          { update_id: ctx.update.update_id, type, handler: ctx.handlerName, ms: Math.round(seconds * 1000) },
          'update handled',
        );
      }
    });
  }

  // Failures outside the boundary above (Redis down while deduplicating): logged and counted; the
  // update is lost, as Telegram has already handed it over.
  bot.catch((error) => {
    metrics.errors.inc({ handler: 'middleware' });
    logger.error({ err: error.error, update_id: error.ctx.update.update_id }, 'update not handled');
  });

  // A user who writes again has unblocked the bot.
  bot.use(async (ctx, next) => {
    if (ctx.chat && ctx.message) await options.blocked.clear(ctx.chat.id);
    await next();
  });

  bot.use(createChatSession(options.redis, options.sessionTtlSeconds));

  const download = createTelegramDownloader({
    apiRoot: options.apiRoot,
    token: options.token,
    getFile: (id) => bot.api.getFile(id),
  });
  bot.use(createUploadHandlers({ ...options.services, download }));
  bot.use(createCommandHandlers(options.services));
  return bot;
}
