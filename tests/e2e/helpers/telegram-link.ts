import { randomBytes, randomInt } from 'node:crypto';
import { hashKeyPart, redisKey } from '@flotilla/platform';
import type { SandboxClient } from '@flotilla/telegram-sandbox';
import type { Redis } from 'ioredis';

/** A Telegram user the sandbox plays (a private chat's id is the user's id). */
export interface TelegramPerson {
  id: number;
  first_name: string;
}

/**
 * Links a fresh Telegram account of the sandbox to the Flotilla user `userId` as a person would: a
 * one-time code stored where the api stores it (`POST /users/me/telegram/link-code`), in the Redis the
 * bot reads, then `/start <code>` sent to the bot, which must answer "Linked".
 */
export async function linkTelegramAccount(
  redis: Redis,
  telegram: SandboxClient,
  userId: string,
): Promise<TelegramPerson> {
  const code = `LINK${randomBytes(3).toString('hex').toUpperCase()}`;
  await redis.set(redisKey('linkcode', hashKeyPart(code)), userId, 'PX', 600_000);
  const person = { id: randomInt(1_000_000, 2 ** 40), first_name: 'Ada' };
  await telegram.sendText(person, `/start ${code}`);
  await telegram.waitForBotMessage(person.id, (message) => message.text?.startsWith('Linked') ?? false);
  return person;
}
