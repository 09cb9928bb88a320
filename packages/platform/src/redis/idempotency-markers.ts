import type { Redis } from 'ioredis';
import { redisKey, setExpiring } from './redis-keys.js';

/** Markers of events a consumer has already handled: `idempotency:<consumer>:<event_id>`. */
export interface IdempotencyMarkers {
  /** The marker's key for `eventId`. */
  key(eventId: string): string;
  /** True when `eventId` was marked as handled (and the marker has not expired). */
  seen(eventId: string): Promise<boolean>;
  /** Marks `eventId` as handled for `ttlSeconds` (SET NX EX); false when it was already marked. */
  mark(eventId: string, ttlSeconds: number): Promise<boolean>;
}

/**
 * Creates the markers of one consumer (e.g. `worker.media`). A marker only short-cuts known duplicates:
 * it is written after the effect succeeded, so the effect itself must still be idempotent.
 */
export function createIdempotencyMarkers(redis: Redis, consumer: string): IdempotencyMarkers {
  const key = (eventId: string) => redisKey('idempotency', consumer, eventId);
  return {
    key,
    async seen(eventId) {
      return (await redis.exists(key(eventId))) === 1;
    },
    mark(eventId, ttlSeconds) {
      return setExpiring(
        redis,
        key(eventId),
        String(Date.now()),
        { seconds: ttlSeconds },
        { onlyIfAbsent: true },
      );
    },
  };
}
