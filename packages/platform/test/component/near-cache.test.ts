import { randomBytes } from 'node:crypto';
import { createServer, type Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNearCache, type NearCache } from '../../src/redis/near-cache.js';
import { createRedis, type RedisConnection } from '../../src/redis/redis-client.js';
import { waitFor } from './messaging-broker.js';

const url = process.env.REDIS_URL;
if (!url) throw new Error('REDIS_URL is not set: run `npm run infra -- up`');

// Every key this file writes is under this prefix; the caches name a key by the rest of it.
const run = `test-${randomBytes(4).toString('hex')}`;
const prefix = `cache:${run}:`;
const key = (name: string) => `${prefix}${name}`;

let reader: RedisConnection; // the process's client, which the cache reads through
let writer: RedisConnection; // another process changing keys
const opened: Array<NearCache<string>> = [];

function nearCache(
  options: { maxEntries?: number; maxAgeMs?: number; redis?: RedisConnection; logger?: Logger } = {},
) {
  const cache = createNearCache<string>({
    redis: (options.redis ?? reader).client,
    prefix,
    maxEntries: options.maxEntries ?? 100,
    maxAgeMs: options.maxAgeMs ?? 60_000,
    logger: options.logger ?? pino({ level: 'silent' }),
  });
  opened.push(cache);
  return cache;
}

const fromRedis = (name: string) => async () => (await reader.client.get(key(name))) ?? undefined;

async function liveCache(options?: Parameters<typeof nearCache>[0]) {
  const cache = nearCache(options);
  await waitFor('tracking to go live', () => cache.live, 5000);
  return cache;
}

beforeAll(async () => {
  reader = createRedis({ url, name: `near-cache-${run}`, logger: pino({ level: 'silent' }) });
  writer = createRedis({ url, name: `near-cache-writer-${run}`, logger: pino({ level: 'silent' }) });
  await Promise.all([reader.waitUntilReady(), writer.waitUntilReady()]);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
});

afterAll(async () => {
  const keys = await writer.client.keys(`${prefix}*`);
  if (keys.length > 0) await writer.client.del(...keys);
  await Promise.all([reader.close(), writer.close()]);
});

describe('near cache (Redis client-side caching)', () => {
  it('keeps a value read from Redis and serves it from memory', async () => {
    const cache = await liveCache();
    await writer.client.set(key('a'), 'one', 'EX', 60);
    expect(cache.peek('a')).toBeUndefined();
    expect(await cache.readThrough('a', fromRedis('a'))).toBe('one');
    expect(cache.peek('a')).toBe('one');
    expect(Object.isFrozen(cache.peek('a'))).toBe(true);
  });

  it('drops a value as soon as another client changes, deletes or expires its key', async () => {
    const cache = await liveCache();
    for (const name of ['set', 'del', 'expire']) await writer.client.set(key(name), 'old', 'EX', 60);
    for (const name of ['set', 'del', 'expire']) await cache.readThrough(name, fromRedis(name));
    expect([cache.peek('set'), cache.peek('del'), cache.peek('expire')]).toEqual(['old', 'old', 'old']);

    await writer.client.set(key('set'), 'new', 'EX', 60);
    await waitFor('the change to be reported', () => cache.peek('set') === undefined, 2000);
    await writer.client.del(key('del'));
    await waitFor('the delete to be reported', () => cache.peek('del') === undefined, 2000);
    await writer.client.pexpire(key('expire'), 1);
    await waitFor('the expiry to be reported', () => cache.peek('expire') === undefined, 2000);

    expect(await cache.readThrough('set', fromRedis('set'))).toBe('new');
    expect(cache.peek('set')).toBe('new');
  });

  it('does not keep a value whose key changed while it was being read', async () => {
    const cache = await liveCache();
    await writer.client.set(key('raced'), 'old', 'EX', 60);
    await writer.client.set(key('marker'), 'm', 'EX', 60);
    await cache.readThrough('marker', fromRedis('marker'));

    const value = await cache.readThrough('raced', async () => {
      const read = await fromRedis('raced')();
      // Another client changes the key after the read, before its reply is handled. Reports arrive in
      // order, so once the marker's is seen, the raced key's has been handled too.
      await writer.client.set(key('raced'), 'new', 'EX', 60);
      await writer.client.set(key('marker'), 'm2', 'EX', 60);
      await waitFor('the reports to arrive', () => cache.peek('marker') === undefined, 2000);
      return read;
    });
    expect(value).toBe('old'); // the reader still gets what it read...
    expect(cache.peek('raced')).toBeUndefined(); // ...but it is not kept
  });

  it('drops its own key at once, before Redis reports it', async () => {
    const cache = await liveCache();
    await writer.client.set(key('own'), 'v', 'EX', 60);
    await cache.readThrough('own', fromRedis('own'));
    cache.drop('own');
    expect(cache.peek('own')).toBeUndefined();
  });

  it('serves a value no longer than maxAgeMs and holds at most maxEntries', async () => {
    const cache = await liveCache({ maxEntries: 2, maxAgeMs: 200 });
    for (const name of ['x', 'y', 'z']) {
      await writer.client.set(key(name), name, 'EX', 60);
      await cache.readThrough(name, fromRedis(name));
    }
    expect(cache.size).toBe(2);
    expect(cache.peek('x')).toBeUndefined(); // the oldest went
    expect(cache.peek('z')).toBe('z');
    await sleep(250);
    expect(cache.peek('z')).toBeUndefined();
  });

  it('drops everything and keeps nothing while its tracking connection is lost, then resumes', async () => {
    const cache = await liveCache();
    await writer.client.set(key('k'), 'v1', 'EX', 60);
    await cache.readThrough('k', fromRedis('k'));
    expect(cache.peek('k')).toBe('v1');

    // The server closes the tracking connection (a restart, a failover, a network cut).
    const killed = await writer.client.client('KILL', 'ID', await trackingId());
    expect(Number(killed)).toBe(1);
    await waitFor('the loss to be seen', () => !cache.live, 2000);
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.readThrough('k', fromRedis('k'))).toBe('v1');
    expect(cache.peek('k')).toBeUndefined(); // not kept: nobody would report its change

    await waitFor('tracking to resume', () => cache.live, 5000);
    await cache.readThrough('k', fromRedis('k'));
    expect(cache.peek('k')).toBe('v1');
    await writer.client.set(key('k'), 'v2', 'EX', 60);
    await waitFor('the change to be reported again', () => cache.peek('k') === undefined, 2000);
  });

  it('notices a tracking connection that stops answering without closing, drops everything, and resumes', async () => {
    const proxy = await startProxy(new URL(url));
    const proxied = createRedis({
      url: url.replace(/@[^/]+/, `@127.0.0.1:${proxy.port}`),
      name: `near-cache-proxied-${run}`,
      logger: pino({ level: 'silent' }),
    });
    try {
      await proxied.waitUntilReady();
      const cache = nearCache({ redis: proxied, maxAgeMs: 60_000 });
      await waitFor('tracking to go live', () => cache.live, 5000);
      await writer.client.set(key('half-open'), 'v', 'EX', 60);
      const read = async () => (await proxied.client.get(key('half-open'))) ?? undefined;
      await cache.readThrough('half-open', read);
      expect(cache.peek('half-open')).toBe('v');

      proxy.blackhole(); // nothing passes any more, and nothing is closed
      await waitFor('the silence to be noticed', () => !cache.live, 5000);
      expect(cache.peek('half-open')).toBeUndefined(); // long before its 60 s age

      proxy.restore(); // the stalled connections close; new ones pass again
      await waitFor('tracking to resume', () => cache.live, 10_000);
    } finally {
      proxied.client.disconnect();
      await proxy.close();
    }
  }, 30_000);

  it('stays off, reading Redis every time, when the server refuses to track', async () => {
    const user = `near-cache-${run}`;
    const password = randomBytes(16).toString('hex');
    await writer.client.call(
      'ACL',
      'SETUSER',
      user,
      'on',
      `>${password}`,
      '~*',
      '&*',
      '+@all',
      '-client|tracking',
    );
    const limited = createRedis({
      url: url.replace(/\/\/[^@]*@/, `//${user}:${password}@`),
      name: `near-cache-limited-${run}`,
      logger: pino({ level: 'silent' }),
    });
    try {
      await limited.waitUntilReady();
      const logged: string[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
      const cache = nearCache({ redis: limited, logger });
      await writer.client.set(key('acl'), 'v', 'EX', 60);
      await waitFor('the refusal', () => logged.some((line) => line.includes('near cache off')), 5000);
      expect(logged.join('')).toContain('NOPERM');
      expect(cache.live).toBe(false);
      const read = async () => (await limited.client.get(key('acl'))) ?? undefined;
      expect(await cache.readThrough('acl', read)).toBe('v');
      expect(cache.peek('acl')).toBeUndefined();
    } finally {
      await limited.close();
      await writer.client.call('ACL', 'DELUSER', user);
    }
  });
});

/** The id of this file's tracking connection, from `CLIENT LIST`. */
async function trackingId(): Promise<string> {
  const list = (await writer.client.client('LIST')) as string;
  const line = list.split('\n').find((entry) => entry.includes(`name=near-cache-${run}-tracking `));
  const id = line && /(?:^| )id=(\d+)/.exec(line)?.[1];
  if (!id) throw new Error('tracking connection not found');
  return id;
}

/**
 * A TCP proxy to the Redis server. `blackhole()` stops every byte in both directions without closing
 * anything (as a dead network path would); `restore()` closes the stalled connections and lets new
 * ones through again.
 */
async function startProxy(target: URL) {
  let stalled = false;
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk) => {
      if (!stalled) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!stalled) client.write(chunk);
    });
    upstream.connect(Number(target.port || 6379), target.hostname);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    blackhole() {
      stalled = true;
    },
    restore() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      stalled = false;
    },
    async close() {
      this.restore();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
