/**
 * The bot: updates per second through the whole bot (grammY runner, update_id dedupe and session in
 * Redis, metrics, the throttler and auto-retry on the way out) vs a bare grammY bot (runner, one
 * `/help` handler) against the same local Bot API sandbox, in the same run. Each operation is a user
 * sending `/help` through the sandbox and waiting for the answer; one chat per concurrent user.
 * Also: the bot process's start-up time (spawn to /health/live and to /health/ready, i.e. connected to
 * Redis, RabbitMQ, the data services and Telegram) and its idle RSS.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSandboxClient, generateBotToken, type SandboxClient } from '@flotilla/telegram-sandbox';
import { run } from '@grammyjs/runner';
import { Bot } from 'grammy';
import { startBotHarness } from '../../services/bot/test/support/bot-harness.js';
import { baseServiceEnv, freePort } from '../../tests/e2e/helpers/service-process.js';
import { compare, round, runLoad, type Scenario } from '../lib/measure.js';

const CONCURRENCY = 16;
const repoRoot = join(import.meta.dirname, '..', '..');

/** One `/help` from chat `chatId`, resolved when the bot's reply is in the chat. */
function helpRoundTrip(telegram: SandboxClient, chatId: number) {
  return async () => {
    const sent = await telegram.sendText({ id: chatId, first_name: 'Bench' }, '/help');
    // Message ids grow: the answer to this message is the first bot message after it.
    await telegram.waitForBotMessage(chatId, (message) => message.message_id > sent.message_id, 10_000);
  };
}

/** Round trips from `CONCURRENCY` chats, each worker of the load runner taking the next chat. */
function roundTrips(telegram: SandboxClient, firstChat: number): () => Promise<void> {
  const trips = Array.from({ length: CONCURRENCY }, (_, i) => helpRoundTrip(telegram, firstChat + i));
  const busy = new Set<number>();
  return async () => {
    const index = trips.findIndex((_, i) => !busy.has(i));
    busy.add(index);
    try {
      await (trips[index] as () => Promise<void>)();
    } finally {
      busy.delete(index);
    }
  };
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

async function waitFor(url: string, child: ChildProcess, started: number): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bot exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return performance.now() - started;
    if (performance.now() - started > 60_000) throw new Error(`${url} not ready in 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const scenario: Scenario = {
  name: 'bot',
  description: `Telegram updates answered per second: the bot (runner, Redis dedupe and sessions, throttler, auto-retry, metrics) vs a bare grammY bot with the runner, both answering /help from the same local Bot API sandbox; ${CONCURRENCY} chats, each sending its next /help once answered.`,
  async run({ quick }) {
    const bounds = { maxOperations: quick ? 1_000 : 6_000, maxMs: quick ? 5_000 : 20_000, warmup: 20 };
    const harness = await startBotHarness({ label: 'bench-bot' });
    try {
      const system = await runLoad(roundTrips(harness.telegram, 5_000_000), {
        label: 'bot: /help answered',
        concurrency: CONCURRENCY,
        ...bounds,
      });

      const bareToken = generateBotToken();
      const bare = new Bot(bareToken, { client: { apiRoot: harness.sandboxUrl } });
      const help =
        (await harness.telegram.transcript(5_000_000)).find((entry) => entry.from === 'bot')?.text ?? 'help';
      bare.command('help', (ctx) => ctx.reply(help));
      await bare.init();
      const runner = run(bare, { runner: { fetch: { timeout: 30 }, silent: true } });
      const bareTelegram = createSandboxClient(harness.sandboxUrl, bareToken);
      let baseline: Awaited<ReturnType<typeof runLoad>>;
      try {
        baseline = await runLoad(roundTrips(bareTelegram, 6_000_000), {
          label: 'bare grammY bot (runner), same reply',
          concurrency: CONCURRENCY,
          ...bounds,
        });
      } finally {
        if (runner.isRunning()) await runner.stop();
      }

      // Start-up and idle RSS of the bot as its own process, against the same sandbox and stores.
      execFileSync('npx', ['tsc', '-b', 'services/bot'], { cwd: repoRoot, stdio: 'inherit' });
      const port = await freePort();
      const started = performance.now();
      const child = spawn(process.execPath, ['dist/main.js'], {
        cwd: join(repoRoot, 'services', 'bot'),
        env: {
          ...baseServiceEnv(),
          NODE_ENV: 'production',
          LOG_LEVEL: 'warn',
          PORT: String(port),
          DATA_POSTGRES_URL: harness.services.dataPostgresUrl,
          DATA_MONGO_URL: harness.services.dataMongoUrl,
          DATA_SERVICE_TOKEN: harness.services.tokens.bot,
          REDIS_URL: harness.bot.config.redisUrl,
          RABBITMQ_URL: harness.vhost.url,
          BOT_TOKEN: generateBotToken(),
          TELEGRAM_API_ROOT: harness.sandboxUrl,
        },
        stdio: 'ignore',
      });
      let notes: string[];
      try {
        const liveMs = await waitFor(`http://127.0.0.1:${port}/health/live`, child, started);
        const readyMs = await waitFor(`http://127.0.0.1:${port}/health/ready`, child, started);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const rss = await rssMb(child.pid as number);
        system.rss_mb = rss;
        notes = [
          `Bot process: live after ${round(liveMs)} ms, ready (Redis, RabbitMQ, data services, Telegram connected) after ${round(readyMs)} ms, idle RSS ${rss} MB (node dist/main.js, NODE_ENV=production).`,
          "Each round trip includes the test user's side (the sandbox control API: send, then long-poll the chat), the same for both bots.",
          'The bot ran with BOT_GLOBAL_PER_SECOND=1000 and BOT_CHAT_MIN_INTERVAL_MS=0: with the defaults (30 messages/s, 1 per chat per second, as Telegram allows) the throttler, not the bot, sets the rate.',
        ];
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      return [compare('bot', scenario.description, system, baseline, { concurrency: CONCURRENCY, notes })];
    } finally {
      await harness.stop();
    }
  },
};

export default scenario;
