import { hashKeyPart, type RedisConnection, redisKey, setExpiring } from '@flotilla/platform';
import type { IdempotencyClaim, UploadIdempotency } from '../intake.ports.js';

type Stored =
  | { state: 'pending'; fingerprint: string }
  | { state: 'done'; fingerprint: string; result: unknown };

/**
 * `Idempotency-Key` records in Redis, `idempotency:http:<sha256(scope:key)>` (the key is the client's, so
 * it is hashed, never used raw). A claim is a `SET NX` with a short expiry; the upload's result replaces it for 24 h.
 */
export function createRedisUploadIdempotency(
  redis: RedisConnection['client'],
  /** How long a reply is replayed, and how long a claim holds while the write runs. */
  ttl: { ttlSeconds: number; pendingTtlSeconds: number },
): UploadIdempotency {
  const keyOf = (scope: string, key: string) =>
    redisKey('idempotency', 'http', hashKeyPart(`${scope}:${key}`));

  async function read(redisKeyName: string): Promise<Stored | undefined> {
    const raw = await redis.get(redisKeyName);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as Stored;
    } catch {
      return undefined;
    }
  }

  return {
    async claim(scope, key, fingerprint): Promise<IdempotencyClaim> {
      const name = keyOf(scope, key);
      const pending: Stored = { state: 'pending', fingerprint };
      // Twice at most: the earlier record may expire between the SET NX and the GET.
      for (let round = 0; round < 2; round += 1) {
        if (
          await setExpiring(
            redis,
            name,
            JSON.stringify(pending),
            { seconds: ttl.pendingTtlSeconds },
            { onlyIfAbsent: true },
          )
        ) {
          return { outcome: 'claimed' };
        }
        const earlier = await read(name);
        if (!earlier) continue;
        if (earlier.fingerprint !== fingerprint) return { outcome: 'mismatch' };
        if (earlier.state === 'pending') return { outcome: 'in_progress' };
        return { outcome: 'replay', result: earlier.result };
      }
      return { outcome: 'in_progress' };
    },
    async complete(scope, key, fingerprint, result) {
      const done: Stored = { state: 'done', fingerprint, result };
      await setExpiring(redis, keyOf(scope, key), JSON.stringify(done), { seconds: ttl.ttlSeconds });
    },
    async release(scope, key) {
      await redis.del(keyOf(scope, key));
    },
  };
}
