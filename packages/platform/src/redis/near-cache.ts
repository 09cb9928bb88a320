import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';

/** Options of {@link createNearCache}. */
export interface NearCacheOptions {
  /** The process's Redis client. The near cache opens one more connection to the same server. */
  redis: Redis;
  /**
   * Prefix of the keys it holds (`cache:user:`): Redis reports every change of a key under it. The
   * cache's own keys are the rest of the key (for `cache:user:<id>`, the id).
   */
  prefix: string;
  /** Most values held in memory; the oldest goes first. */
  maxEntries: number;
  /**
   * Longest a value is served from memory, in ms, even when Redis reports no change. It also paces
   * the tracking connection's health check: a `PING` every quarter of it (every 0.25 to 1 s), which
   * must be answered within 1 s or the connection is dropped and opened again.
   */
  maxAgeMs: number;
  logger: Logger;
}

/**
 * Values read from Redis kept in the process's memory, and dropped as soon as Redis reports that
 * their key changed, expired or was evicted (server-assisted client-side caching: `CLIENT TRACKING`
 * in broadcast mode, for one key prefix).
 */
export interface NearCache<T> {
  /** The value held for the Redis key `prefix + name`, if any and younger than `maxAgeMs`. */
  peek(name: string): T | undefined;
  /**
   * Runs `read` (a read of `prefix + name` from Redis) and keeps the value it returns, unless the key
   * changed while it ran or tracking is not live. The value is frozen: every later reader shares it.
   */
  readThrough(name: string, read: () => Promise<T | undefined>): Promise<T | undefined>;
  /** Drops `name` at once (the process that changed it need not wait for Redis to report it). */
  drop(name: string): void;
  /** True while Redis reports changes to this process: only then are values kept. */
  readonly live: boolean;
  /** Entries held now. */
  readonly size: number;
  /** Drops every value and closes the tracking connection. */
  close(): Promise<void>;
}

const INVALIDATIONS = '__redis__:invalidate';
/** The tracking connection's health check: how long a PING may take, and the longest pause between two. */
const HEALTH_CHECK_MS = 1000;

/**
 * Creates a {@link NearCache}. Its own connection (RESP2, since ioredis passes RESP3 invalidation
 * pushes to nobody) turns tracking on with `REDIRECT` to itself and subscribes to the invalidation
 * channel. Whenever that connection is lost, or tracking cannot be turned on (a server before
 * Redis 6, or an ACL without `CLIENT`), every value is dropped and reads go to Redis until tracking is
 * live again. A read that a change (or the loss of tracking) overtook is returned but not kept: the
 * change may have been reported before the read's reply arrived on the other connection. A tracking
 * connection that stops answering without closing (a half-open TCP connection) is found by a `PING`
 * and reopened.
 */
export function createNearCache<T>(options: NearCacheOptions): NearCache<T> {
  const { logger, prefix } = options;
  const entries = new Map<string, { value: T; storedAt: number }>();
  // Reads in flight per name; a change of the key (or a flush) marks them overtaken.
  const reading = new Map<string, Set<{ overtaken: boolean }>>();
  let live = false;
  let closed = false;

  const connection = options.redis.duplicate({
    protocol: 2,
    autoResubscribe: false,
    lazyConnect: true,
    connectionName: `${options.redis.options.connectionName ?? 'client'}-tracking`,
  });

  function forget(name: string): void {
    entries.delete(name);
    const reads = reading.get(name);
    if (reads) for (const read of reads) read.overtaken = true;
  }

  function forgetAll(): void {
    entries.clear();
    for (const reads of reading.values()) for (const read of reads) read.overtaken = true;
  }

  async function track(): Promise<void> {
    try {
      const id = await connection.client('ID');
      await connection.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id), 'BCAST', 'PREFIX', prefix);
      await connection.subscribe(INVALIDATIONS);
      forgetAll();
      live = true;
      logger.info({ prefix }, 'near cache live: Redis reports changes under the prefix');
    } catch (error) {
      // A lost connection is retried on the next 'ready'. A refusal is final: the server cannot track
      // (too old, or its ACL forbids CLIENT), so the cache stays off and every read goes to Redis.
      if (closed || (error as Error).name !== 'ReplyError') return;
      logger.warn({ err: error, prefix }, 'near cache off: Redis refused to track changes');
      closed = true;
      clearInterval(healthCheck);
      connection.disconnect();
    }
  }

  connection.on('ready', () => void track());
  connection.on('close', () => {
    if (live) logger.warn({ prefix }, 'near cache paused: tracking connection lost');
    live = false;
    forgetAll();
  });
  // The client reconnects on its own; errors are the main client's to report.
  connection.on('error', () => {});
  connection.on('messageBuffer', (channel: Buffer, keys: unknown) => {
    if (channel.toString() !== INVALIDATIONS) return;
    // A null list: the whole keyspace was flushed (FLUSHALL, FLUSHDB).
    if (!Array.isArray(keys)) forgetAll();
    else for (const key of keys) forget(String(key).slice(prefix.length));
  });
  connection.connect().catch(() => {
    // Reported by the main client; the connection retries on its own.
  });

  // A connection can stop delivering without closing (a half-open TCP connection): reports would then
  // be lost while values are still served. It must answer a PING in time, or it is reopened.
  const checkEveryMs = Math.max(250, Math.min(HEALTH_CHECK_MS, options.maxAgeMs / 4));
  let checking = false;
  const healthCheck = setInterval(() => {
    if (!live || checking) return;
    checking = true;
    let timer: NodeJS.Timeout | undefined;
    const answered = Promise.race([
      connection.ping().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), HEALTH_CHECK_MS);
      }),
    ]).catch(() => false);
    void answered.then((ok) => {
      clearTimeout(timer);
      checking = false;
      if (ok || !live || closed) return;
      logger.warn({ prefix }, 'near cache paused: tracking connection did not answer; reconnecting');
      live = false;
      forgetAll();
      connection.disconnect(true);
    });
  }, checkEveryMs);
  healthCheck.unref();

  function keep(name: string, value: T): void {
    entries.delete(name);
    if (entries.size >= options.maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    entries.set(name, { value: Object.freeze(value), storedAt: Date.now() });
  }

  return {
    peek(name) {
      const entry = entries.get(name);
      if (!entry) return undefined;
      if (Date.now() - entry.storedAt < options.maxAgeMs) return entry.value;
      entries.delete(name);
      return undefined;
    },
    async readThrough(name, read) {
      if (!live) return read();
      const ticket = { overtaken: false };
      let reads = reading.get(name);
      if (!reads) {
        reads = new Set();
        reading.set(name, reads);
      }
      reads.add(ticket);
      try {
        const value = await read();
        if (value !== undefined && live && !ticket.overtaken) keep(name, value);
        return value;
      } finally {
        reads.delete(ticket);
        if (reads.size === 0 && reading.get(name) === reads) reading.delete(name);
      }
    },
    drop: forget,
    get live() {
      return live;
    },
    get size() {
      return entries.size;
    },
    async close() {
      closed = true;
      clearInterval(healthCheck);
      live = false;
      forgetAll();
      if (connection.status === 'end') return;
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
