import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseServiceEnv,
  freePort,
  type ServiceProcess,
  startService,
} from '../../../../tests/e2e/helpers/service-process.js';
import { type BotHarness, botTestEnv, startBotHarness, waitFor } from '../support/bot-harness.js';

let harness: BotHarness;
/** The second bot: its own process (tsx from source), on the harness's Redis, broker, stores and token. */
let second: ServiceProcess;

beforeAll(async () => {
  harness = await startBotHarness({ label: 'bot-replicas' });
  second = startService('bot', await freePort(), {
    ...baseServiceEnv(),
    ...botTestEnv({
      services: harness.services,
      rabbitmqUrl: harness.vhost.url,
      redisUrl: harness.bot.config.redisUrl,
      apiRoot: harness.sandboxUrl,
      token: harness.telegram.token,
    }),
    LOG_LEVEL: 'info',
  });
  await waitFor(
    'the second bot to be ready',
    async () => {
      const ready = await fetch(second.url('/health/ready')).catch(() => undefined);
      return ready?.status === 200;
    },
    60_000,
  );
}, 90_000);
afterAll(async () => {
  if (second && second.child.exitCode === null) {
    second.child.kill('SIGTERM');
    await second.exited;
  }
  await harness?.stop();
});

/** Updates handled (not skipped as duplicates), from a `/metrics` text. */
function handledIn(metrics: string): number {
  return metrics
    .split('\n')
    .filter((line) => line.startsWith('bot_updates_total{') && line.includes('duplicate="false"'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

async function handledByBoth(): Promise<number> {
  const first = handledIn(await harness.bot.deps.runtime.metrics.registry.metrics());
  return first + handledIn(await (await fetch(second.url('/metrics'))).text());
}

describe('two bot processes on one Redis and one token', () => {
  it('answer every message of a conversation once, though both poll the same updates', async () => {
    const person = harness.telegramUser();
    for (let i = 0; i < 6; i += 1) {
      await harness.telegram.sendText(person, '/help');
      await waitFor(
        `reply ${i + 1}`,
        async () =>
          (await harness.telegram.transcript(person.id)).filter((entry) => entry.from === 'bot').length ===
          i + 1,
      );
    }
    await harness.telegram.sendText(person, '/cancel');
    await harness.telegram.waitForBotMessage(person.id, (message) => message.text === 'Nothing to cancel.');
    const replies = (await harness.telegram.transcript(person.id)).filter((entry) => entry.from === 'bot');
    expect(replies).toHaveLength(7);
    // Both bots poll the same updates (the sandbox, unlike Telegram, lets two pollers share them); the
    // update_id marks in Redis let exactly one of them handle each.
    expect(await handledByBoth()).toBe(7);
  });

  it('share the conversation state: a question asked of one bot is answered as a question by either', async () => {
    const { telegram: person } = await harness.linkedUser();
    await harness.telegram.sendText(person, '/ask');
    await harness.telegram.waitForBotMessage(
      person.id,
      (message) => message.text?.startsWith('What would you like') ?? false,
    );
    await harness.telegram.sendText(person, 'what is the leave policy?');
    await harness.telegram.waitForBotMessage(
      person.id,
      (message) => message.text?.startsWith('Extractive answer') ?? false,
    );
    expect(
      (await harness.telegram.transcript(person.id)).filter((entry) =>
        entry.text?.startsWith('What I can do:'),
      ),
    ).toHaveLength(0);
  });
});
