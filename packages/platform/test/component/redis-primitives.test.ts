import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyMarkers } from '../../src/redis/idempotency-markers.js';
import { createRedis, type RedisConnection } from '../../src/redis/redis-client.js';
import { hashKeyPart, redisKey, setExpiring } from '../../src/redis/redis-keys.js';
import { createLock } from '../../src/redis/redis-lock.js';

const url = process.env.REDIS_URL;
if (!url) throw new Error('REDIS_URL is not set: run `npm run infra -- up`');

// Every key this file writes contains this segment; afterAll deletes them.
const run = `test-${randomBytes(4).toString('hex')}`;
let redis: RedisConnection;

beforeAll(async () => {
  redis = createRedis({ url, name: 'platform-test', logger: pino({ level: 'silent' }) });
  await redis.waitUntilReady();
});

afterAll(async () => {
  const keys: string[] = [];
  for (const pattern of [`lock:${run}:*`, `idempotency:${run}*`, `cache:${run}:*`]) {
    keys.push(...(await redis.client.keys(pattern)));
  }
  if (keys.length > 0) await redis.client.del(...keys);
  await redis.close();
});

describe('redis connection', () => {
  it('answers its readiness check and reports a bad URL as not ready without hanging', async () => {
    await expect(redis.check()).resolves.toBeUndefined();
    const down = createRedis({
      url: 'redis://127.0.0.1:1',
      name: 'down',
      logger: pino({ level: 'silent' }),
      connectTimeoutMs: 200,
    });
    try {
      await expect(down.waitUntilReady(300)).rejects.toThrow(/not ready/);
      // No offline queue: a command fails at once instead of waiting for a reconnect.
      await expect(down.check()).rejects.toThrow();
    } finally {
      await down.close();
    }
  });
});

describe('redis keys', () => {
  it('joins safe parts, refuses parts that could forge another key, and hashes secrets', () => {
    expect(redisKey('cache', 'user', 'abc')).toBe('cache:user:abc');
    expect(() => redisKey('cache', 'user', 'a:b')).toThrow(/invalid redis key part/);
    expect(() => redisKey('cache', 'user', '')).toThrow(/invalid redis key part/);
    expect(() => redisKey('cache', 'user', 'has space')).toThrow(/invalid redis key part/);
    expect(hashKeyPart('secret-token')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashKeyPart('secret-token')).not.toContain('secret');
  });

  it('always writes with an expiry', async () => {
    const key = redisKey('cache', run, 'expiring');
    expect(await setExpiring(redis.client, key, 'v', { seconds: 30 })).toBe(true);
    const ttl = await redis.client.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);
    expect(await setExpiring(redis.client, key, 'w', { seconds: 30 }, { onlyIfAbsent: true })).toBe(false);
    await expect(setExpiring(redis.client, key, 'v', { seconds: 0 })).rejects.toThrow(/invalid expiry/);
  });
});

describe('redis locks', () => {
  it('with 10 concurrent acquirers exactly one holds the lock, and it is free again after release', async () => {
    const locks = createLock(redis.client);
    const resource = `${run}:mutex`;
    const leases = await Promise.all(Array.from({ length: 10 }, () => locks.acquire(resource, 5000)));
    const holders = leases.filter((lease) => lease !== undefined);
    expect(holders).toHaveLength(1);
    const holder = holders[0];
    expect(holder?.key).toBe(`lock:${run}:mutex`);
    expect(await redis.client.pttl(`lock:${run}:mutex`)).toBeGreaterThan(0);
    expect(await holder?.release()).toBe(true);
    const next = await locks.acquire(resource, 5000);
    expect(next).toBeDefined();
    await next?.release();
  });

  it('refuses release and extension by anyone but the owner', async () => {
    const locks = createLock(redis.client);
    const resource = `${run}:owned`;
    const lease = await locks.acquire(resource, 5000);
    expect(lease).toBeDefined();
    expect(await locks.release(resource, 'not-the-owner')).toBe(false);
    expect(await locks.extend(resource, 'not-the-owner', 60_000)).toBe(false);
    expect(await locks.acquire(resource, 5000)).toBeUndefined();
    expect(await lease?.extend(20_000)).toBe(true);
    expect(await redis.client.pttl(lease?.key ?? '')).toBeGreaterThan(10_000);
    expect(await lease?.release()).toBe(true);
    expect(await lease?.release()).toBe(false);
  });

  it('expires on its own, after which the old owner can no longer release it', async () => {
    const locks = createLock(redis.client);
    const resource = `${run}:expiring`;
    const first = await locks.acquire(resource, 100);
    expect(first).toBeDefined();
    await sleep(200);
    const second = await locks.acquire(resource, 5000);
    expect(second).toBeDefined();
    expect(await first?.release()).toBe(false);
    expect(await second?.release()).toBe(true);
  });
});

describe('idempotency markers', () => {
  it('are unseen until marked, marked once, and expire', async () => {
    const markers = createIdempotencyMarkers(redis.client, `${run}.consumer`);
    const eventId = '0190a5b2-7c3e-7000-8000-000000000001';
    expect(markers.key(eventId)).toBe(`idempotency:${run}.consumer:${eventId}`);
    expect(await markers.seen(eventId)).toBe(false);
    expect(await markers.mark(eventId, 1)).toBe(true);
    expect(await markers.mark(eventId, 1)).toBe(false);
    expect(await markers.seen(eventId)).toBe(true);
    const ttl = await redis.client.pttl(markers.key(eventId));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
    await sleep(1100);
    expect(await markers.seen(eventId)).toBe(false);
  });
});

// Last in the file: the second case installs the server spans' flag for the rest of this module.
describe('auto-pipelining', () => {
  it('sends the commands of one turn together, each with its own reply or error', async () => {
    const key = redisKey('cache', run, 'pipelined');
    await setExpiring(redis.client, key, 'not a number', { seconds: 60 });
    const replies = [
      ...Array.from({ length: 20 }, (_, index) => redis.client.echo(`reply-${index}`)),
      redis.client.incr(key),
      redis.client.get(key),
    ];
    // All 22 commands wait in one pipeline until the turn ends.
    expect(redis.client.autoPipelineQueueSize).toBe(22);
    const settled = await Promise.allSettled(replies);
    expect(settled.slice(0, 20).map((result) => result.status === 'fulfilled' && result.value)).toEqual(
      Array.from({ length: 20 }, (_, index) => `reply-${index}`),
    );
    expect(settled[20]).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/not an integer/) },
    });
    expect(settled[21]).toEqual({ status: 'fulfilled', value: 'not a number' });
  });

  it('is off once tracing is installed, so each command is sent in its own request context', async () => {
    const { enableServerSpans } = await import('../../src/tracing/server-span.js');
    enableServerSpans();
    const traced = createRedis({ url, name: 'platform-test-traced', logger: pino({ level: 'silent' }) });
    try {
      await traced.waitUntilReady();
      const replies = [traced.client.echo('a'), traced.client.echo('b')];
      expect(traced.client.autoPipelineQueueSize).toBe(0);
      await expect(Promise.all(replies)).resolves.toEqual(['a', 'b']);
    } finally {
      await traced.close();
    }
  });
});
