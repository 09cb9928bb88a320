import type { DataMongoClient } from '@flotilla/contracts';
import type { RedisConnection, ServiceRuntime } from '@flotilla/platform';
import { createRedisStatsCache } from './adapters/stats-cache.redis.js';
import { createGetMyStats } from './application/get-my-stats.use-case.js';
import { createGetSystemStats } from './application/get-system-stats.use-case.js';
import type { StatsDeps } from './application/stats.ports.js';

/** The stats context wired. */
export function createStats(wiring: {
  runtime: ServiceRuntime;
  redis: RedisConnection;
  dataMongo: DataMongoClient;
  cacheSeconds: number;
}) {
  const deps: StatsDeps = {
    analytics: wiring.dataMongo.analytics,
    cache: createRedisStatsCache(wiring.redis.client),
    logger: wiring.runtime.logger,
    cacheSeconds: wiring.cacheSeconds,
  };
  return {
    cacheSeconds: wiring.cacheSeconds,
    getMyStats: createGetMyStats(deps),
    getSystemStats: createGetSystemStats(deps),
  };
}

/** The stats context. */
export type Stats = ReturnType<typeof createStats>;
