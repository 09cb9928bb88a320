import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotHarness, type RunningBot, startBotHarness, waitFor } from '../support/bot-harness.js';

let harness: BotHarness;
let second: RunningBot;

beforeAll(async () => {
  harness = await startBotHarness({ label: 'bot-replicas' });
  second = await harness.startBot();
});
afterAll(() => harness?.stop());

async function handledBy(bot: RunningBot): Promise<number> {
  const metric = await bot.deps.runtime.metrics.registry.getSingleMetric('bot_updates_total')?.get();
  return (metric?.values ?? [])
    .filter((value) => value.labels.duplicate === 'false')
    .reduce((sum, value) => sum + value.value, 0);
}

describe('two bots on one Redis and one token', () => {
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
    expect((await handledBy(harness.bot)) + (await handledBy(second))).toBe(7);
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
