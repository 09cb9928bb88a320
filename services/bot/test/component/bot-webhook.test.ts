import { randomBytes } from 'node:crypto';
import { generateBotToken } from '@flotilla/telegram-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../tests/e2e/helpers/service-process.js';
import { isolatedRedisUrl } from '../../../../tests/support/data-services.js';
import { buildApp } from '../../src/app.js';
import { loadBotConfig } from '../../src/config.js';
import { createDeps } from '../../src/deps.js';
import { type BotHarness, botTestEnv, startBotHarness, waitFor } from '../support/bot-harness.js';

let harness: BotHarness;
const secret = randomBytes(32).toString('base64url');

beforeAll(async () => {
  const port = await freePort();
  harness = await startBotHarness({
    label: 'bot-webhook',
    listen: true,
    env: {
      PORT: String(port),
      BOT_MODE: 'webhook',
      BOT_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
      BOT_WEBHOOK_SECRET: secret,
    },
  });
});
afterAll(() => harness?.stop());

async function handledUpdates(): Promise<number> {
  const metric = await harness.bot.deps.runtime.metrics.registry.getSingleMetric('bot_updates_total')?.get();
  return (metric?.values ?? [])
    .filter((value) => value.labels.duplicate === 'false')
    .reduce((sum, value) => sum + value.value, 0);
}

function helpUpdate(updateId: number, chatId: number) {
  return {
    update_id: updateId,
    message: {
      message_id: 1,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: 'private', first_name: 'Ada' },
      from: { id: chatId, is_bot: false, first_name: 'Ada' },
      text: '/help',
      entities: [{ type: 'bot_command', offset: 0, length: 5 }],
    },
  };
}

describe('the bot in webhook mode', () => {
  it('registers its webhook with the secret and answers updates Telegram posts to it', async () => {
    const person = harness.telegramUser();
    await harness.telegram.sendText(person, '/help');
    await harness.telegram.waitForBotMessage(
      person.id,
      (message) => message.text?.startsWith('What I can do:') ?? false,
    );
  });

  it('refuses a wrong or missing secret with 401 problem+json and handles nothing', async () => {
    const before = await handledUpdates();
    const unauthenticated = await harness.bot.app.inject({
      method: 'POST',
      url: '/telegram/webhook',
      payload: { not: 'an update' },
    });
    expect(unauthenticated.statusCode).toBe(401);
    for (const headers of [{ 'x-telegram-bot-api-secret-token': 'wrong-secret' }, {}]) {
      const response = await harness.bot.app.inject({
        method: 'POST',
        url: '/telegram/webhook',
        headers,
        payload: helpUpdate(900_000 + Math.floor(Math.random() * 1000), 42),
      });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 401, code: 'BOT.WEBHOOK_SECRET_INVALID' });
    }
    expect(await handledUpdates()).toBe(before);
  });

  it('answers 422 problem+json to a body that is not an update', async () => {
    const response = await harness.bot.app.inject({
      method: 'POST',
      url: '/telegram/webhook',
      headers: { 'x-telegram-bot-api-secret-token': secret },
      payload: { hello: 'world' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ status: 422, errors: [expect.objectContaining({})] });
  });

  it('handles an update delivered twice only once', async () => {
    const person = harness.telegramUser();
    await harness.telegram.sendText(person, 'hello');
    await harness.telegram.waitForBotMessage(
      person.id,
      (message) => message.text?.startsWith('What I can do:') ?? false,
    );
    const update = helpUpdate(800_000 + Math.floor(Math.random() * 100_000), person.id);
    for (let i = 0; i < 2; i += 1) {
      const response = await harness.bot.app.inject({
        method: 'POST',
        url: '/telegram/webhook',
        headers: { 'x-telegram-bot-api-secret-token': secret },
        payload: update,
      });
      expect(response.statusCode).toBe(200);
    }
    const duplicates = async () => {
      const metric = await harness.bot.deps.runtime.metrics.registry
        .getSingleMetric('bot_updates_total')
        ?.get();
      return metric?.values.find((value) => value.labels.duplicate === 'true')?.value ?? 0;
    };
    await waitFor('the second delivery to be seen as a duplicate', async () => (await duplicates()) === 1);
    // Updates of one chat are handled in order: the duplicate is seen after the first one was answered.
    const replies = (await harness.telegram.transcript(person.id)).filter((entry) => entry.from === 'bot');
    expect(replies).toHaveLength(2);
  });

  it('refuses updates with 503 problem+json and Retry-After while the bot is not initialized yet (just started), so Telegram delivers them again', async () => {
    const config = loadBotConfig({
      ...botTestEnv({
        services: harness.services,
        rabbitmqUrl: harness.vhost.url,
        redisUrl: isolatedRedisUrl(),
        apiRoot: harness.sandboxUrl,
        token: generateBotToken(),
      }),
      BOT_MODE: 'webhook',
      BOT_WEBHOOK_URL: 'http://127.0.0.1:9/telegram/webhook',
      BOT_WEBHOOK_SECRET: secret,
    });
    const deps = createDeps(config, { onFatal: () => undefined });
    const app = await buildApp(deps);
    try {
      // Not started: it has not asked Telegram who it is (getMe), so it could not handle an update.
      const response = await app.inject({
        method: 'POST',
        url: '/telegram/webhook',
        headers: { 'x-telegram-bot-api-secret-token': secret },
        payload: helpUpdate(700_000, 42),
      });
      expect(response.statusCode).toBe(503);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(response.json()).toMatchObject({ status: 503, code: 'BOT.NOT_READY' });
    } finally {
      for (const closer of deps.closers) await Promise.resolve(closer.close()).catch(() => undefined);
      await app.close();
    }
  });
});
