import { redisKey, setExpiring } from '@flotilla/platform';
import type { Redis } from 'ioredis';
import type { BlockedChats, ProgressMessages } from '../application/notifications.ports.js';

/** Progress messages in Redis, `bot:progress:<job id>` -> `{chat_id, message_id}`, for a day. */
export function createProgressMessages(redis: Redis, ttlSeconds = 24 * 3600): ProgressMessages {
  const keyOf = (jobId: string) => redisKey('bot', 'progress', jobId);
  return {
    async remember(jobId, message) {
      const value = JSON.stringify({ chat_id: message.chatId, message_id: message.messageId });
      await setExpiring(redis, keyOf(jobId), value, { seconds: ttlSeconds });
    },
    async find(jobId) {
      const value = await redis.get(keyOf(jobId));
      if (!value) return undefined;
      const parsed = JSON.parse(value) as { chat_id: number; message_id: number };
      return { chatId: parsed.chat_id, messageId: parsed.message_id };
    },
  };
}

/** Chats that blocked the bot, `bot:blocked:<chat id>`, remembered for `ttlSeconds`. */
export function createBlockedChats(redis: Redis, ttlSeconds: number): BlockedChats {
  const keyOf = (chatId: number) => redisKey('bot', 'blocked', String(chatId));
  return {
    async isBlocked(chatId) {
      return (await redis.exists(keyOf(chatId))) === 1;
    },
    async markBlocked(chatId) {
      await setExpiring(redis, keyOf(chatId), '1', { seconds: ttlSeconds });
    },
    async clear(chatId) {
      await redis.del(keyOf(chatId));
    },
  };
}
