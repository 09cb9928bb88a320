import { hashKeyPart, redisKey } from '@flotilla/platform';
import type { Redis } from 'ioredis';
import type { LinkCodes } from '../application/accounts.ports.js';

/**
 * The api's link codes, read from the shared Redis: `linkcode:<sha256(upper-cased code)>` -> user id
 * (the format of the api's `link-codes.redis.ts`). GETDEL, so a code links at most once.
 */
export function createLinkCodes(redis: Redis): LinkCodes {
  return {
    async consume(code) {
      const userId = await redis.getdel(redisKey('linkcode', hashKeyPart(code.toUpperCase())));
      return userId ?? undefined;
    },
  };
}
