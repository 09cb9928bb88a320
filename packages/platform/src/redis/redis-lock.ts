import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKey, setExpiring } from './redis-keys.js';

// Delete or extend the key only while it still holds the caller's token (atomic on the server).
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const EXTEND_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

/** A held lock. It expires on its own after its TTL unless extended. */
export interface LockLease {
  /** The locked resource, e.g. `schedule:requeue-stuck-jobs`. */
  resource: string;
  /** The Redis key, `lock:<resource>`. */
  key: string;
  /** The owner token: only its holder can release or extend the lock. */
  token: string;
  /** Releases the lock; false when it had expired or was taken over meanwhile. */
  release(): Promise<boolean>;
  /** Resets the TTL to `ttlMs`; false when the lock is no longer held by this lease. */
  extend(ttlMs: number): Promise<boolean>;
}

/** Distributed mutual exclusion on one Redis server: `SET lock:<resource> <token> NX PX <ttl>`. */
export interface Locks {
  /** Takes the lock for `ttlMs`, or resolves with `undefined` when someone else holds it. */
  acquire(resource: string, ttlMs: number): Promise<LockLease | undefined>;
  /** Releases `resource` if `token` owns it (compare-and-delete); false otherwise. */
  release(resource: string, token: string): Promise<boolean>;
  /** Extends `resource` to `ttlMs` if `token` owns it; false otherwise. */
  extend(resource: string, token: string, ttlMs: number): Promise<boolean>;
}

/**
 * Creates the lock helper. A resource is one or more `:`-separated key parts of safe characters
 * (`schedule:requeue-stuck-jobs`). A lease is a hint of exclusivity bounded by its TTL:
 * work that may outlive it must `extend` it, and effects must still be idempotent.
 */
export function createLock(redis: Redis): Locks {
  const keyOf = (resource: string) => redisKey('lock', ...splitResource(resource));

  async function release(resource: string, token: string): Promise<boolean> {
    return (await redis.eval(RELEASE_SCRIPT, 1, keyOf(resource), token)) === 1;
  }

  async function extend(resource: string, token: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    return (await redis.eval(EXTEND_SCRIPT, 1, keyOf(resource), token, String(ttlMs))) === 1;
  }

  return {
    async acquire(resource, ttlMs) {
      assertTtl(ttlMs);
      const key = keyOf(resource);
      const token = randomBytes(16).toString('hex');
      const taken = await setExpiring(redis, key, token, { milliseconds: ttlMs }, { onlyIfAbsent: true });
      if (!taken) return undefined;
      return {
        resource,
        key,
        token,
        release: () => release(resource, token),
        extend: (nextTtlMs) => extend(resource, token, nextTtlMs),
      };
    },
    release,
    extend,
  };
}

function splitResource(resource: string): [string, ...string[]] {
  const [first, ...rest] = resource.split(':');
  return [first ?? '', ...rest];
}

function assertTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0)
    throw new Error(`lock TTL must be a positive integer (ms), got ${ttlMs}`);
}
