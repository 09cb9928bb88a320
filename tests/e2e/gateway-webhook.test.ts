import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotHarness, startBotHarness, waitFor } from '../../services/bot/test/support/bot-harness.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { freePort } from './helpers/service-process.js';

/**
 * The bot's webhook behind the real gateway: a real nginx with the project's gateway config routes
 * `POST /telegram/webhook` to a bot in webhook mode, whose webhook URL (registered with the Bot API
 * sandbox) is the gateway's. The sandbox delivers updates there with the secret header, as Telegram
 * does. The login rate limit is set to one request a minute, so a webhook under it would show.
 */

let harness: BotHarness;
let gateway: TestGateway;
let botPort: number;
const secret = randomBytes(32).toString('base64url');
const WEBHOOK = '/telegram/webhook';

beforeAll(async () => {
  botPort = await freePort();
  // No api behind this gateway: only the webhook route is exercised.
  gateway = await startTestGateway(await freePort(), [await freePort()], {
    authRate: '1r/m',
    authBurst: 1,
    botPort,
  });
  harness = await startBotHarness({
    label: 'gateway-webhook',
    listen: true,
    env: {
      PORT: String(botPort),
      BOT_MODE: 'webhook',
      BOT_WEBHOOK_URL: `${gateway.url}${WEBHOOK}`,
      BOT_WEBHOOK_SECRET: secret,
    },
  });
}, 300_000);

afterAll(async () => {
  await harness?.stop();
  await gateway?.stop();
});

async function handledUpdates(): Promise<number> {
  const metric = await harness.bot.deps.runtime.metrics.registry.getSingleMetric('bot_updates_total')?.get();
  return (metric?.values ?? []).reduce((sum, value) => sum + value.value, 0);
}

function textUpdate(updateId: number, chatId: number, text: string) {
  return {
    update_id: updateId,
    message: {
      message_id: 1,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: 'private', first_name: 'Ada' },
      from: { id: chatId, is_bot: false, first_name: 'Ada' },
      text,
      entities: [{ type: 'bot_command', offset: 0, length: text.length }],
    },
  };
}

describe('the gateway in front of the bot’s webhook', () => {
  it('delivers an update posted with the right secret to the bot, which answers through the Bot API', async () => {
    const person = harness.telegramUser();
    // The sandbox posts the update to the registered webhook URL: the gateway's.
    await harness.telegram.sendText(person, '/help');
    await harness.telegram.waitForBotMessage(
      person.id,
      (message) => message.text?.startsWith('What I can do:') ?? false,
    );
    const delivered = (await gateway.accessLog()).filter((line) => line.uri === WEBHOOK);
    expect(delivered.length).toBeGreaterThan(0);
    for (const line of delivered) {
      expect(line).toMatchObject({ method: 'POST', status: 200, upstream_addr: `127.0.0.1:${botPort}` });
      expect(line.request_id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    }
  });

  it('answers a wrong or missing secret with the bot’s 401 problem+json, and nothing is handled', async () => {
    const person = harness.telegramUser();
    const before = await handledUpdates();
    const attempts: Array<{ headers: Record<string, string>; requestId?: string }> = [
      { headers: { 'x-telegram-bot-api-secret-token': 'not-the-secret' }, requestId: 'webhook-wrong-1' },
      { headers: {}, requestId: 'webhook-missing-1' },
      { headers: { 'x-telegram-bot-api-secret-token': `${secret}x` } },
    ];
    for (const [n, attempt] of attempts.entries()) {
      const answer = await fetch(`${gateway.url}${WEBHOOK}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...attempt.headers,
          ...(attempt.requestId ? { 'x-request-id': attempt.requestId } : {}),
        },
        body: JSON.stringify(textUpdate(700_000 + n, person.id, '/help')),
      });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      // The request id reached the bot: the bot's own problem carries the id the gateway sent on
      // (the caller's when safe, else the gateway's), the same the gateway answers in its header.
      const requestId = answer.headers.get('x-request-id');
      if (attempt.requestId) expect(requestId).toBe(attempt.requestId);
      expect(requestId).toBeTruthy();
      expect(await answer.json()).toMatchObject({
        status: 401,
        code: 'BOT.WEBHOOK_SECRET_INVALID',
        request_id: requestId,
      });
    }
    // The bot answered each one itself (no 429 from the login limit, no 502).
    const refused = (await gateway.accessLog()).filter((line) => line.uri === WEBHOOK && line.status === 401);
    expect(refused.length).toBeGreaterThanOrEqual(attempts.length);
    for (const line of refused) expect(line.upstream_addr).toBe(`127.0.0.1:${botPort}`);

    // A correct delivery afterwards is handled, and it is the only update counted since.
    await harness.telegram.sendText(person, '/help');
    await harness.telegram.waitForBotMessage(
      person.id,
      (message) => message.text?.startsWith('What I can do:') ?? false,
    );
    await waitFor('the correct delivery to be counted', async () => (await handledUpdates()) === before + 1);
    const replies = (await harness.telegram.transcript(person.id)).filter((entry) => entry.from === 'bot');
    expect(replies).toHaveLength(1);
  });

  it('refuses an update body above 1 MB at the gateway with 413 problem+json, before the bot', async () => {
    const before = (await gateway.accessLog()).filter(
      (line) => line.upstream_addr === `127.0.0.1:${botPort}`,
    );
    const answer = await fetch(`${gateway.url}${WEBHOOK}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-telegram-bot-api-secret-token': secret,
        'x-request-id': 'webhook-too-large',
      },
      body: JSON.stringify({ update_id: 1, padding: 'x'.repeat(1_100_000) }),
    });
    expect(answer.status).toBe(413);
    expect(await answer.json()).toMatchObject({
      status: 413,
      code: 'GATEWAY.PAYLOAD_TOO_LARGE',
      request_id: 'webhook-too-large',
    });
    const after = (await gateway.accessLog()).filter((line) => line.upstream_addr === `127.0.0.1:${botPort}`);
    expect(after).toHaveLength(before.length);
  });
});

describe('the webhook route without a bot behind it', () => {
  it('answers 502 problem+json naming the bot', async () => {
    const lone = await startTestGateway(await freePort(), [await freePort()]);
    try {
      const answer = await fetch(`${lone.url}${WEBHOOK}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'no-bot-1' },
        body: '{"update_id":1}',
      });
      expect(answer.status).toBe(502);
      expect(await answer.json()).toMatchObject({
        status: 502,
        code: 'GATEWAY.UPSTREAM_UNAVAILABLE',
        request_id: 'no-bot-1',
        detail: expect.stringContaining('bot'),
      });
    } finally {
      await lone.stop();
    }
  });
});
