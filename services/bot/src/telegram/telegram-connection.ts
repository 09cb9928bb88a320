import type { HealthCheck, Logger } from '@flotilla/platform';
import type { Bot } from 'grammy';
import type { BotContext } from './bot-context.js';
import { ALLOWED_UPDATES, startPolling } from './polling.js';

/** How the bot receives updates. */
export type UpdateSource = { mode: 'polling' } | { mode: 'webhook'; url: string; secret: string };

/**
 * Connects the bot to Telegram in the background: `getMe`, then polling or the webhook registration,
 * retried with backoff (1 s doubling to 30 s) while Telegram cannot be reached, so an outage at start
 * does not crash-loop the process. Readiness (`check`) fails until connected; `stop()` ends the retries
 * and the polling at once.
 */
export function createTelegramConnection(bot: Bot<BotContext>, source: UpdateSource, logger: Logger) {
  let connected = false;
  let stopped = false;
  let polling: { stop(): Promise<void> } | undefined;
  let wake: (() => void) | undefined;

  async function connectOnce(): Promise<void> {
    if (source.mode === 'polling') {
      polling = await startPolling(bot, logger);
      return;
    }
    await bot.init();
    await bot.api.setWebhook(source.url, {
      secret_token: source.secret,
      allowed_updates: [...ALLOWED_UPDATES],
    });
    logger.info({ bot: bot.botInfo.username }, 'webhook registered');
  }

  async function run(): Promise<void> {
    let delayMs = 1000;
    while (!stopped) {
      try {
        await connectOnce();
        // Stopped while connecting: polling started too late is stopped at once.
        if (stopped) {
          await polling?.stop();
          return;
        }
        connected = true;
        return;
      } catch (error) {
        logger.warn({ err: error, retry_in_ms: delayMs }, 'Telegram not reachable; retrying');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        delayMs = Math.min(delayMs * 2, 30_000);
      }
    }
  }

  let running: Promise<void> | undefined;
  const check: HealthCheck = async () => {
    if (!connected) throw new Error('not connected to Telegram yet');
  };
  return {
    check,
    /** Starts connecting; resolves at once (see `connected()`). */
    start(): void {
      running ??= run();
    },
    /** Resolves once connected (tests and benchmarks wait for it). */
    async connected(): Promise<void> {
      await running;
    },
    async stop(): Promise<void> {
      // An attempt in flight is not awaited: auto-retry may keep a call to an unreachable Telegram
      // going for longer than a shutdown may take.
      stopped = true;
      wake?.();
      await polling?.stop();
    },
  };
}
