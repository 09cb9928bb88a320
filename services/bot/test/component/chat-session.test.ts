import { Bot } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isolatedRedisUrl } from '../../../../tests/support/data-services.js';
import type { BotContext } from '../../src/telegram/bot-context.js';
import { createChatSession } from '../../src/telegram/chat-session.js';

const TTL_SECONDS = 600;
/** The bot as `getMe` would describe it (the handlers here never look past its id and name). */
const BOT_INFO = { id: 1, is_bot: true, first_name: 'Test', username: 'test_bot' } as UserFromGetMe;

let redis: Redis;
let chatId: number;
const key = () => `session:bot:${chatId}`;

beforeAll(() => {
  redis = new Redis(isolatedRedisUrl(), { maxRetriesPerRequest: 2 });
});
afterAll(() => redis.disconnect());
beforeEach(() => {
  chatId = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
});

/** What the session held in Redis at the moment of each call to Telegram, by method. */
interface Call {
  method: string;
  stored: string | null;
}

/** A bot with the chat session and `handler`; its calls to Telegram are answered here, never sent. */
function botWith(handler: (ctx: BotContext) => Promise<void>): { bot: Bot<BotContext>; calls: Call[] } {
  const bot = new Bot<BotContext>('1:test', { botInfo: BOT_INFO });
  const calls: Call[] = [];
  bot.api.config.use(async (_prev, method) => {
    calls.push({ method, stored: await redis.get(key()) });
    return { ok: true, result: true } as never;
  });
  // As in the bot: a failed handler is answered with an apology, from outside the session.
  bot.use(async (ctx, next) => {
    try {
      await next();
    } catch {
      await ctx.reply('Sorry: something went wrong.');
    }
  });
  bot.use(createChatSession(redis, TTL_SECONDS));
  bot.on('message', handler);
  return { bot, calls };
}

let updateId = 0;
function textUpdate(text: string): Update {
  updateId += 1;
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: 'private', first_name: 'Ann' },
      from: { id: chatId, is_bot: false, first_name: 'Ann' },
      text,
    },
  };
}

describe('the chat session shared by bot replicas', () => {
  it('is saved in Redis before the reply that announces it goes out', async () => {
    const { bot, calls } = botWith(async (ctx) => {
      ctx.session.awaiting = 'question';
      await ctx.reply('What would you like to know?');
      await ctx.reply('(a second message)');
    });
    await bot.handleUpdate(textUpdate('/ask'));
    expect(calls).toEqual([
      { method: 'sendMessage', stored: JSON.stringify({ awaiting: 'question' }) },
      { method: 'sendMessage', stored: JSON.stringify({ awaiting: 'question' }) },
    ]);
    expect(await redis.ttl(key())).toBeGreaterThan(TTL_SECONDS - 10);
  });

  it('is not written back by an update that only read it, so a newer state saved meanwhile stays', async () => {
    await redis.set(key(), JSON.stringify({ filesCursors: ['a'] }), 'EX', 5);
    const { bot } = botWith(async (ctx) => {
      expect(ctx.session.filesCursors).toEqual(['a']);
      await ctx.reply('help');
      // Another replica takes the chat's next message meanwhile and saves its state.
      await redis.set(key(), JSON.stringify({ awaiting: 'question' }), 'EX', 5);
    });
    await bot.handleUpdate(textUpdate('hello'));
    expect(JSON.parse((await redis.get(key())) ?? 'null')).toEqual({ awaiting: 'question' });
    // Reading it started its idle lifetime again, without rewriting the value.
    expect(await redis.ttl(key())).toBeGreaterThan(TTL_SECONDS - 10);
  });

  it('writes a change made after the last reply once the update ends', async () => {
    await redis.set(key(), JSON.stringify({ awaiting: 'question' }), 'EX', TTL_SECONDS);
    const { bot, calls } = botWith(async (ctx) => {
      await ctx.reply('thinking');
      ctx.session.awaiting = undefined;
    });
    await bot.handleUpdate(textUpdate('what is the leave policy?'));
    expect(calls).toEqual([{ method: 'sendMessage', stored: JSON.stringify({ awaiting: 'question' }) }]);
    expect(JSON.parse((await redis.get(key())) ?? 'null')).toEqual({});
  });

  it('stores nothing for a chat whose session stays empty', async () => {
    const { bot, calls } = botWith(async (ctx) => {
      expect(ctx.session).toEqual({});
      await ctx.reply('What I can do: …');
    });
    await bot.handleUpdate(textUpdate('hello'));
    expect(calls).toEqual([{ method: 'sendMessage', stored: null }]);
    expect(await redis.exists(key())).toBe(0);
  });

  it('keeps the old state when the handler fails, even if a reply is sent after the failure', async () => {
    await redis.set(key(), JSON.stringify({ awaiting: 'question' }), 'EX', TTL_SECONDS);
    const { bot, calls } = botWith(async (ctx) => {
      ctx.session.awaiting = undefined;
      throw new Error('the knowledge base is down');
    });
    await bot.handleUpdate(textUpdate('what is the leave policy?'));
    expect(calls).toEqual([{ method: 'sendMessage', stored: JSON.stringify({ awaiting: 'question' }) }]);
    expect(JSON.parse((await redis.get(key())) ?? 'null')).toEqual({ awaiting: 'question' });
  });
});
