import { type RedisConnection, redisKey, setExpiring } from '@flotilla/platform';
import type { StatsCache } from '../application/stats.ports.js';

/** Reports cached in Redis under `cache:stats:<subject>`, always with an expiry. */
export function createRedisStatsCache(redis: RedisConnection['client']): StatsCache {
  return {
    async get(key) {
      return (await redis.get(redisKey('cache', 'stats', key))) ?? undefined;
    },
    async set(key, value, ttlSeconds) {
      await setExpiring(redis, redisKey('cache', 'stats', key), value, { seconds: ttlSeconds });
    },
  };
}
