import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../tests/e2e/helpers/service-process.js';
import { type BotHarness, startBotHarness } from '../support/bot-harness.js';

let harness: BotHarness;
const secret = randomBytes(32).toString('base64url');

beforeAll(async () => {
  const port = await freePort();
  harness = await startBotHarness({
    label: 'bot-updates-properties',
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

/** Update ids never seen before, so deduplication does not hide what the handlers do. */
let nextUpdateId = 5_000_000 + Math.floor(Math.random() * 1_000_000);

/** A value of the right shape most of the time, and any JSON value sometimes. */
const orJunk = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: fc.jsonValue() });

const user = fc.record({
  id: fc.integer({ min: 1, max: 2 ** 40 }),
  is_bot: fc.boolean(),
  first_name: fc.string(),
});
// Private chats: replies to a group wait 3 s each (Telegram's group limit), which would only slow this down.
const chat = fc.record({ id: fc.integer({ min: 1, max: 2 ** 40 }), type: fc.constant('private') });
const text = fc.oneof(
  fc.constantFrom(
    '/start',
    '/start ABC123',
    '/help',
    '/link',
    '/link XYZ',
    '/unlink',
    '/files',
    '/status',
    '/ask',
    '/stats',
    '/cancel',
  ),
  fc
    .constantFrom('/status ', '/ask ', '/start ')
    .chain((command) => fc.string().map((rest) => `${command}${rest}`)),
  fc.string(),
);
const entities = fc.array(
  fc.record({
    type: fc.constantFrom('bot_command', 'bold', 'url'),
    offset: fc.integer({ min: -2, max: 10 }),
    length: fc.integer({ min: -1, max: 20 }),
  }),
  { maxLength: 3 },
);
const photoSize = fc.record({
  file_id: fc.string(),
  file_unique_id: fc.string(),
  width: fc.nat(),
  height: fc.nat(),
  file_size: fc.option(fc.nat(), { nil: undefined }),
});
const document = fc.record(
  {
    file_id: fc.string(),
    file_unique_id: fc.string(),
    file_name: fc.string(),
    mime_type: fc.constantFrom('text/plain', 'image/png', 'application/pdf', ''),
    file_size: fc.nat(),
  },
  { requiredKeys: ['file_id'] },
);
const message = fc.record(
  {
    message_id: orJunk(fc.nat()),
    date: orJunk(fc.nat()),
    chat: orJunk(chat),
    from: orJunk(user),
    text: orJunk(text),
    entities: orJunk(entities),
    photo: orJunk(fc.array(photoSize, { maxLength: 3 })),
    document: orJunk(document),
    caption: orJunk(fc.string()),
  },
  { requiredKeys: [] },
);
const callbackQuery = fc.record(
  {
    id: orJunk(fc.string()),
    from: orJunk(user),
    data: orJunk(fc.oneof(fc.constantFrom('files:0', 'files:1', 'files:9999'), fc.string())),
    message: orJunk(message),
  },
  { requiredKeys: [] },
);
/** Updates as Telegram sends them, with parts missing or of the wrong type. */
const update = fc
  .oneof(
    fc.record({ message: orJunk(message) }),
    fc.record({ edited_message: orJunk(message) }),
    fc.record({ callback_query: orJunk(callbackQuery) }),
    fc.record({ channel_post: orJunk(message) }),
    fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
  )
  .map((body) => ({ ...body, update_id: nextUpdateId++ }));

/**
 * Moves a small update id out of the sandbox's range: the bot remembers every id it took, and the sandbox
 * numbers its own updates from 1. (Ids the validator coerces, "7" or null, cannot be moved: the test
 * that goes through the sandbox runs first.)
 */
function awayFromSandboxIds(payload: unknown): unknown {
  const id = (payload as { update_id?: unknown } | null)?.update_id;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= 1_000_000) return payload;
  return { ...(payload as object), update_id: id + 1_000_000 };
}

/**
 * Whether a JSON text holds a key the body parser refuses outright (400) as prototype poisoning: an own
 * `__proto__`, or a `constructor` object with a `prototype` key, at any depth.
 */
function poisons(text: string): boolean {
  const walk = (value: unknown): boolean => {
    if (typeof value !== 'object' || value === null) return false;
    if (Array.isArray(value)) return value.some(walk);
    if (Object.hasOwn(value, '__proto__')) return true;
    const ctor = (value as Record<string, unknown>).constructor;
    if (
      Object.hasOwn(value, 'constructor') &&
      typeof ctor === 'object' &&
      ctor !== null &&
      Object.hasOwn(ctor, 'prototype')
    )
      return true;
    return Object.values(value).some(walk);
  };
  return walk(JSON.parse(text));
}

function postUpdate(payload: unknown) {
  return harness.bot.app.inject({
    method: 'POST',
    url: '/telegram/webhook',
    headers: { 'x-telegram-bot-api-secret-token': secret, 'content-type': 'application/json' },
    payload: JSON.stringify(awayFromSandboxIds(payload)),
  });
}

describe('updates the bot receives', () => {
  it('are handled to the end whatever their content, without an error escaping the bot', async () => {
    await fc.assert(
      fc.asyncProperty(update, async (value) => {
        await expect(harness.bot.deps.bot.handleUpdate(value as never)).resolves.toBeUndefined();
      }),
      { numRuns: 150 },
    );
    const person = harness.telegramUser();
    await harness.telegram.sendText(person, '/help');
    await harness.telegram.waitForBotMessage(
      person.id,
      (reply) => reply.text?.startsWith('What I can do:') ?? false,
    );
  });

  it('are taken (200) when they carry an update id, refused with a 4xx problem+json when not (400 for prototype poisoning), never a 5xx', async () => {
    const body = fc.oneof(fc.jsonValue(), update, fc.record({ update_id: fc.jsonValue() }));
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const response = await postUpdate(payload);
        if (poisons(JSON.stringify(payload))) {
          // Refused by the JSON parser before any handler sees it.
          expect(response.statusCode).toBe(400);
          expect(response.headers['content-type']).toContain('application/problem+json');
          return;
        }
        const isObject = typeof payload === 'object' && payload !== null && !Array.isArray(payload);
        const id = isObject ? (payload as { update_id?: unknown }).update_id : undefined;
        if (Number.isInteger(id) && (id as number) >= 0) expect(response.statusCode).toBe(200);
        if (!isObject || id === undefined) expect(response.statusCode).toBe(422);
        // Anything else (an id the validator coerces, such as "7" or null) is taken or refused, never a 5xx.
        if (response.statusCode !== 200) {
          expect(response.statusCode).toBeGreaterThanOrEqual(400);
          expect(response.statusCode).toBeLessThan(500);
          expect(response.headers['content-type']).toContain('application/problem+json');
        }
      }),
      { numRuns: 300 },
    );
  });
});
