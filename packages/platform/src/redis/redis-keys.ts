import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

const MAX_PART_LENGTH = 200;
const SAFE_PART = /^[A-Za-z0-9._@/+=-]+$/;

/**
 * Builds a key `<context>:<entity>:<id>` (`lock:<resource>` and `linkcode:<code>` have two parts,
 * `ratelimit:<route>:<subject>:<window>` four). Every part must be 1-200 safe characters without `:`
 * or spaces, so a value can never forge another key. Pass secrets and tokens through
 * {@link hashKeyPart} first: never use them raw.
 */
export function redisKey(context: string, ...rest: [string, ...string[]]): string {
  const parts = [context, ...rest];
  for (const part of parts) {
    if (part.length === 0 || part.length > MAX_PART_LENGTH || !SAFE_PART.test(part)) {
      throw new Error(`invalid redis key part ${JSON.stringify(part.slice(0, 40))}`);
    }
  }
  return parts.join(':');
}

/** SHA-256 (lower-case hex) of a value, for keys derived from secrets: `linkcode:<hash>`, `idempotency:http:<hash>`. */
export function hashKeyPart(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Expiry of a key written by {@link setExpiring}: seconds or milliseconds, at least one of them. */
export type KeyExpiry = { seconds: number } | { milliseconds: number };

/**
 * `SET key value` with a mandatory expiry (keys never live forever); with `onlyIfAbsent`, `NX`.
 * Resolves with true when the value was written.
 */
export async function setExpiring(
  redis: Redis,
  key: string,
  value: string,
  expiry: KeyExpiry,
  options: { onlyIfAbsent?: boolean } = {},
): Promise<boolean> {
  const [unit, amount] =
    'seconds' in expiry ? (['EX', expiry.seconds] as const) : (['PX', expiry.milliseconds] as const);
  if (!Number.isInteger(amount) || amount <= 0) throw new Error(`invalid expiry ${amount} for ${key}`);
  const reply =
    unit === 'EX'
      ? options.onlyIfAbsent
        ? await redis.set(key, value, 'EX', amount, 'NX')
        : await redis.set(key, value, 'EX', amount)
      : options.onlyIfAbsent
        ? await redis.set(key, value, 'PX', amount, 'NX')
        : await redis.set(key, value, 'PX', amount);
  return reply === 'OK';
}
