import type { EventData, EventType, OutboxEvent, User } from '@flotilla/contracts';
import { createLogger } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import { createCompleteTelegramLink } from '../../src/complete-telegram-link.use-case.js';
import type { LinkCodes, TelegramUserDirectory as UserDirectory } from '../../src/telegram-link.ports.js';

const ALICE = '01900000-0000-7000-8000-00000000000a';
const BOB = '01900000-0000-7000-8000-00000000000b';

function user(id: string, telegramId: number | null = null): User {
  return {
    id,
    email: `${id}@example.test`,
    username: `u${id.slice(-4)}`,
    display_name: null,
    role: 'user',
    status: 'active',
    telegram_id: telegramId,
    created_at: '2026-11-24T10:00:00.000Z',
    updated_at: '2026-11-24T10:00:00.000Z',
    version: 1,
  };
}

/** In-memory ports: the use case's whole world. */
function world(initial: User[], codes: Record<string, string>) {
  const users = new Map(initial.map((u) => [u.id, u]));
  const codeMap = new Map(Object.entries(codes));
  const published: Array<{ type: EventType; data: unknown }> = [];
  const invalidated: string[] = [];
  const directory = {
    async get(id: string) {
      return users.get(id) ?? null;
    },
    async getByTelegramId(telegramId: number) {
      return [...users.values()].find((u) => u.telegram_id === telegramId) ?? null;
    },
    // The events go with the write (data-postgres's outbox), so they are recorded only when it happens.
    async patch(id: string, body: { telegram_id?: number | null; events?: OutboxEvent[] }) {
      const current = users.get(id) as User;
      for (const event of body.events ?? []) {
        published.push({ type: event.envelope.event_type as EventType, data: event.envelope.data });
      }
      const next = { ...current, telegram_id: body.telegram_id ?? null, version: current.version + 1 };
      users.set(id, next);
      return next;
    },
  } as unknown as UserDirectory;
  const linkCodes: LinkCodes = {
    issue: async () => ({ code: 'unused', expiresInSeconds: 60 }),
    async consume(code) {
      const owner = codeMap.get(code);
      codeMap.delete(code);
      return owner;
    },
  };
  const completeTelegramLink = createCompleteTelegramLink({
    users: directory,
    linkCodes,
    profiles: {
      invalidate: async (id) => {
        invalidated.push(id);
        return true;
      },
    },
    events: {
      prepare: <T extends EventType>(type: T, data: EventData<T>) =>
        ({ envelope: { event_type: type, data } }) as unknown as OutboxEvent,
    },
    logger: createLogger({ service: 'test', version: '0', level: 'silent', pretty: false }),
  });
  return { completeTelegramLink, users, published, invalidated };
}

describe('completeTelegramLink (the bot’s /start <code>)', () => {
  it('links the code’s user with telegram.linked then user.updated in the same write, and drops its cached profile', async () => {
    const { completeTelegramLink, users, published, invalidated } = world([user(ALICE)], {
      CODE123456: ALICE,
    });
    const link = await completeTelegramLink('CODE123456', 4242, { chatId: 4242, username: 'alice' });
    expect(link).toMatchObject({ changed: true, chat: { chatId: 4242, username: 'alice' } });
    expect(users.get(ALICE)?.telegram_id).toBe(4242);
    expect(invalidated).toEqual([ALICE]);
    expect(published).toEqual([
      { type: 'telegram.linked', data: { user_id: ALICE, telegram_id: 4242 } },
      {
        type: 'user.updated',
        data: { user_id: ALICE, version: 2, changed: ['telegram_id'], status: 'active' },
      },
    ]);
  });

  it('accepts a code once', async () => {
    const { completeTelegramLink } = world([user(ALICE)], { CODE123456: ALICE });
    await completeTelegramLink('CODE123456', 4242, { chatId: 4242 });
    await expect(completeTelegramLink('CODE123456', 4242, { chatId: 4242 })).rejects.toMatchObject({
      code: 'TELEGRAM.LINK_CODE_INVALID',
      kind: 'invalid',
    });
  });

  it('refuses an unknown code without touching any user', async () => {
    const { completeTelegramLink, published } = world([user(ALICE)], {});
    await expect(completeTelegramLink('NOSUCHCODE', 1, { chatId: 1 })).rejects.toMatchObject({
      code: 'TELEGRAM.LINK_CODE_INVALID',
    });
    expect(published).toEqual([]);
  });

  it('refuses a Telegram account already linked to another user', async () => {
    const { completeTelegramLink, users, published } = world([user(ALICE, 4242), user(BOB)], {
      BOBCODE123: BOB,
    });
    await expect(completeTelegramLink('BOBCODE123', 4242, { chatId: 4242 })).rejects.toMatchObject({
      code: 'TELEGRAM.ID_TAKEN',
      kind: 'conflict',
    });
    expect(users.get(BOB)?.telegram_id).toBeNull();
    expect(published).toEqual([]);
  });

  it('treats a repeated link of the same account to the same user as done, publishing nothing new', async () => {
    const { completeTelegramLink, published } = world([user(ALICE, 4242)], { AGAIN12345: ALICE });
    const link = await completeTelegramLink('AGAIN12345', 4242, { chatId: 4242 });
    expect(link.changed).toBe(false);
    expect(published).toEqual([]);
  });
});
