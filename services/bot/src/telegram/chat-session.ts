import { RedisAdapter } from '@grammyjs/storage-redis';
import { type MiddlewareFn, type StorageAdapter, session } from 'grammy';
import type { Redis } from 'ioredis';
import type { BotContext, ChatSession } from './bot-context.js';

/**
 * The storage of one update's session: it remembers what it last read or wrote, and writes only
 * what differs. An update that merely looked at the session (the text handler checks for a pending
 * question) then writes nothing, so it cannot put back, late, a state that another replica has
 * replaced in the meantime.
 */
class ChangedOnlyStorage implements StorageAdapter<ChatSession> {
  /** JSON of the value in Redis as this update last saw it; `{}` stands for "none stored". */
  private stored = '{}';
  private exists = false;

  constructor(
    private readonly inner: StorageAdapter<ChatSession>,
    private readonly refresh: (key: string) => Promise<unknown>,
  ) {}

  async read(key: string): Promise<ChatSession | undefined> {
    const value = await this.inner.read(key);
    this.exists = value !== undefined;
    this.stored = value === undefined ? '{}' : JSON.stringify(value);
    return value;
  }

  async write(key: string, value: ChatSession): Promise<void> {
    const json = JSON.stringify(value);
    if (json === this.stored) {
      // Unchanged: only the idle lifetime starts again (an EXPIRE cannot overwrite anyone's state).
      if (this.exists) await this.refresh(key);
      return;
    }
    await this.inner.write(key, value);
    this.stored = json;
    this.exists = true;
  }

  async delete(key: string): Promise<void> {
    await this.inner.delete(key);
    this.stored = '{}';
    this.exists = false;
  }
}

/**
 * grammY's session on Redis (`session:bot:<chat id>`), shared by every replica of the bot, with
 * two rules on top that keep a conversation whole when its next message reaches another replica:
 *
 * 1. Before any call to Telegram made while a handler runs, a changed session is saved. Whatever
 *    the user reads (say "What would you like to know?") is already the state in Redis, so the
 *    reply to it finds that state wherever it lands.
 * 2. An unchanged session is never written back at the end of the update (see
 *    {@link ChangedOnlyStorage}), so a slow update cannot erase the state a faster one saved.
 *
 * Updates of one chat run one at a time in a process (the bot's `sequentialize`); across replicas
 * they are kept apart by the user, who writes after reading a reply.
 */
export function createChatSession(redis: Redis, ttlSeconds: number): MiddlewareFn<BotContext> {
  const redisStorage = new RedisAdapter<ChatSession>({ instance: redis as never, ttl: ttlSeconds });
  const refresh = (key: string) => redis.expire(key, ttlSeconds);
  const keyOf = (ctx: Pick<BotContext, 'chat'>) => (ctx.chat ? `session:bot:${ctx.chat.id}` : undefined);

  return (ctx, next) => {
    const storage = new ChangedOnlyStorage(redisStorage, refresh);
    const key = keyOf(ctx);
    let handling = false;
    if (key !== undefined) {
      ctx.api.config.use(async (prev, method, payload, signal) => {
        // Only while the handlers run: an apology after a failed handler keeps the old state.
        if (handling && ctx.session != null) await storage.write(key, ctx.session);
        return prev(method, payload, signal);
      });
    }
    const middleware = session<ChatSession, BotContext>({
      initial: () => ({}),
      storage,
      getSessionKey: keyOf,
    });
    return middleware(ctx, async () => {
      handling = true;
      try {
        await next();
      } finally {
        handling = false;
      }
    });
  };
}
