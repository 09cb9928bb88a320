import type { Logger } from '@flotilla/platform';
import { type RunnerHandle, run } from '@grammyjs/runner';
import type { Bot } from 'grammy';
import type { BotContext } from './bot-context.js';

/** The updates the bot handles (Telegram sends only these). */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/**
 * Long polling with grammY's runner: updates of different chats are handled concurrently, those of one
 * chat in order (`sequentialize` in the bot). Any webhook is removed first (Telegram refuses getUpdates
 * while one is set). `stop()` ends polling and waits for the updates in hand.
 */
export async function startPolling(bot: Bot<BotContext>, logger: Logger): Promise<{ stop(): Promise<void> }> {
  await bot.init();
  await bot.api.deleteWebhook();
  const handle: RunnerHandle = run(bot, {
    runner: { fetch: { allowed_updates: [...ALLOWED_UPDATES], timeout: 30 }, silent: true },
  });
  logger.info({ bot: bot.botInfo.username }, 'polling for updates');
  return {
    async stop() {
      if (handle.isRunning()) await handle.stop();
    },
  };
}
