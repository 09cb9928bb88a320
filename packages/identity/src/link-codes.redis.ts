import { randomInt } from 'node:crypto';
import { hashKeyPart, redisKey, setExpiring } from '@flotilla/platform';
import type { Redis } from 'ioredis';
import type { LinkCodes } from './telegram-link.ports.js';

/** Alphabet of link codes: no 0/O, 1/I/L, so a person can retype one. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
/** 10 characters of 31: about 49 bits, far beyond guessing within the code's lifetime. */
export const LINK_CODE_LENGTH = 10;
/** The shape of a link code, for validating input. */
export const LINK_CODE_PATTERN = `^[${ALPHABET}]{${LINK_CODE_LENGTH}}$`;

/**
 * One-time Telegram link codes in Redis: `linkcode:<sha256(code)>` -> user id, with an expiry. The raw
 * code is shown once to the user and never stored. `consume` is GETDEL, so a code links at most once.
 * The api issues codes, the bot consumes them; both through this adapter.
 */
export function createLinkCodes(redis: Redis, ttlSeconds: number): LinkCodes {
  const keyOf = (code: string) => redisKey('linkcode', hashKeyPart(code.toUpperCase()));
  return {
    async issue(userId) {
      for (;;) {
        let code = '';
        for (let i = 0; i < LINK_CODE_LENGTH; i += 1) code += ALPHABET[randomInt(ALPHABET.length)];
        if (await setExpiring(redis, keyOf(code), userId, { seconds: ttlSeconds }, { onlyIfAbsent: true })) {
          return { code, expiresInSeconds: ttlSeconds };
        }
      }
    },
    async consume(code) {
      const userId = await redis.getdel(keyOf(code));
      return userId ?? undefined;
    },
  };
}
