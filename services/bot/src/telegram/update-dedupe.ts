import { redisKey, setExpiring } from '@flotilla/platform';
import type { Redis } from 'ioredis';

/**
 * Remembers handled update ids in Redis (`idempotency:bot-update:<bot id>:<update id>`, SET NX with an
 * expiry), so an update delivered twice (a webhook retry, two replicas polling) is handled once. The
 * mark is taken before handling: at most once, the choice Telegram bots make (a reply twice is worse
 * than a lost one, and a failed handler still answers the user).
 */
export function createUpdateDedupe(redis: Redis, options: { botId: number; ttlSeconds: number }) {
  return async function firstDelivery(updateId: number): Promise<boolean> {
    const key = redisKey('idempotency', 'bot-update', String(options.botId), String(updateId));
    return setExpiring(redis, key, '1', { seconds: options.ttlSeconds }, { onlyIfAbsent: true });
  };
}
