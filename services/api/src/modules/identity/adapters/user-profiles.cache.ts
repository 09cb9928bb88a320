import type { User } from '@flotilla/contracts';
import { createNearCache, type Logger, redisKey, setExpiring, withoutSpans } from '@flotilla/platform';
import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import type { UserDirectory, UserProfiles } from '../application/identity.ports.js';

/** Options of {@link createUserProfiles}. */
export interface UserProfilesOptions {
  redis: Redis;
  users: UserDirectory;
  ttlSeconds: number;
  /** How long a profile read from Redis is also kept in memory (0: not at all). */
  localSeconds: number;
  logger: Logger;
  registry: Registry;
}

/** Profiles kept in memory at most (about 1 KB each). */
const LOCAL_ENTRIES = 10_000;

/**
 * Read-through Redis cache of user profiles (`cache:user:<id>`, with a TTL). Concurrent misses for one id
 * load once (single flight, per process); Redis failures fall back to the data service (fail open);
 * `cache_requests_total{cache="user",result}` counts hits, misses and errors.
 *
 * With `localSeconds`, a profile read from Redis is also kept in memory for that long, and dropped as
 * soon as Redis reports a change of its key, by this process or any other ({@link createNearCache}):
 * a cached read then makes no Redis round trip. `cache_requests_total{cache="user_local",result}`
 * counts those hits and misses.
 */
export function createUserProfiles(options: UserProfilesOptions): UserProfiles {
  const { redis, users, logger } = options;
  const requests = new Counter({
    name: 'cache_requests_total',
    help: 'Cache lookups by cache and result (hit, miss, error).',
    labelNames: ['cache', 'result'] as const,
    registers: [options.registry],
  });
  // One lookup (cache read, then load on a miss) per id at a time. An invalidation during a lookup marks
  // it stale: its (possibly old) result still answers the readers already waiting, but is not cached.
  const inFlight = new Map<string, { promise: Promise<User | null>; stale: boolean }>();
  const keyOf = (id: string) => redisKey('cache', 'user', id);
  const local =
    options.localSeconds > 0
      ? createNearCache<User>({
          redis,
          prefix: 'cache:user:', // keyOf(id) is this prefix and the id
          maxEntries: LOCAL_ENTRIES,
          maxAgeMs: options.localSeconds * 1000,
          logger,
        })
      : undefined;

  async function readCache(id: string): Promise<User | undefined> {
    if (!local) return readRedis(id);
    requests.inc({ cache: 'user_local', result: 'miss' });
    return local.readThrough(id, () => readRedis(id));
  }

  async function readRedis(id: string): Promise<User | undefined> {
    try {
      // No span of its own: on every authenticated read it would double the cost of tracing the
      // request (the server span already times it, and cache_requests_total counts the outcome).
      const raw = await withoutSpans(() => redis.get(keyOf(id)));
      if (raw === null) {
        requests.inc({ cache: 'user', result: 'miss' });
        return undefined;
      }
      requests.inc({ cache: 'user', result: 'hit' });
      return JSON.parse(raw) as User;
    } catch (error) {
      requests.inc({ cache: 'user', result: 'error' });
      logger.warn({ err: error }, 'user cache read failed; reading the data service');
      return undefined;
    }
  }

  async function load(id: string, entry: { stale: boolean }): Promise<User | null> {
    const user = await users.get(id);
    if (user && !entry.stale) {
      await setExpiring(redis, keyOf(id), JSON.stringify(user), { seconds: options.ttlSeconds }).catch(
        (error: unknown) => logger.warn({ err: error }, 'user cache write failed'),
      );
    }
    return user;
  }

  return {
    get(id) {
      const kept = local?.peek(id);
      if (kept) {
        requests.inc({ cache: 'user_local', result: 'hit' });
        return Promise.resolve(kept);
      }
      const running = inFlight.get(id);
      if (running) return running.promise;
      const entry = { promise: Promise.resolve<User | null>(null), stale: false };
      entry.promise = (async () => (await readCache(id)) ?? load(id, entry))().finally(() => {
        if (inFlight.get(id) === entry) inFlight.delete(id);
      });
      inFlight.set(id, entry);
      return entry.promise;
    },
    async invalidate(id) {
      // A load in flight may hold the old value: it must not reach the cache, and the next reader loads again.
      const running = inFlight.get(id);
      if (running) {
        running.stale = true;
        inFlight.delete(id);
      }
      local?.drop(id);
      try {
        await redis.del(keyOf(id));
        // Again once Redis has dropped it: a read of the old entry that finished in between may have
        // been kept before Redis's report arrived. After this, this process reads the new value.
        local?.drop(id);
        return true;
      } catch (error) {
        logger.warn({ err: error, user_id: id }, 'user cache invalidation failed; the entry expires by TTL');
        return false;
      }
    },
    async close() {
      await local?.close();
    },
  };
}
