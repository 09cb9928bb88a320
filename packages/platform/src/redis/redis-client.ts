import { createRequire } from 'node:module';
import type { Redis as RedisClient } from 'ioredis';
import type { HealthCheck } from '../health/health.js';
import type { Logger } from '../logging/logger.js';
import { tracingInstalled } from '../tracing/server-span.js';

// Loaded with require, not import: the OpenTelemetry ioredis instrumentation hooks require(), and an
// ESM import of this CommonJS package bypasses it (its commands then made no spans at all).
const { Redis } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');

/** Options of {@link createRedis}. */
export interface CreateRedisOptions {
  /** `redis://:password@host:6379/0` (or `rediss://` for TLS). */
  url: string;
  /** Connection name shown by `CLIENT LIST` (for example the service name). */
  name: string;
  logger: Logger;
  /** Longest wait for a TCP connection; 5000 ms by default. */
  connectTimeoutMs?: number;
  /** Reconnect attempts a single command waits through before it fails; 2 by default. */
  maxRetriesPerRequest?: number;
  /** Longest pause between reconnect attempts; 5000 ms by default. */
  maxReconnectDelayMs?: number;
}

/** The process's Redis client with its readiness check and its closer. */
export interface RedisConnection {
  /** The ioredis client: commands fail at once while the server is unreachable (no offline queue). */
  client: RedisClient;
  /** Resolves once the client is connected and ready, rejects after `timeoutMs` (5000 by default). */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** Readiness check for {@link Health.addCheck}: a `PING` answered with `PONG`. */
  check: HealthCheck;
  /** Closes the connection (QUIT, then disconnect if QUIT does not finish within 2 s). */
  close(): Promise<void>;
}

/**
 * Creates the one Redis client of a process. It connects at once, reconnects on its own with a
 * capped backoff, and fails commands fast while disconnected (no offline queue, a bounded number of
 * retries per command), so callers can fail open (cache) or closed (rate limits) as they choose.
 */
export function createRedis(options: CreateRedisOptions): RedisConnection {
  const { logger } = options;
  const maxDelay = options.maxReconnectDelayMs ?? 5000;
  const client = new Redis(options.url, {
    connectionName: options.name,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 2,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    retryStrategy: (times) => Math.min(maxDelay, 50 * 2 ** Math.min(times, 10)),
    // Commands issued by the requests of one event-loop turn go out in one write (and their replies
    // come back in one read) instead of a system call each: under load, a socket write per command
    // was a fifth of the api's CPU on a cached read. Each command keeps its own promise and error.
    // Not when tracing: a pipeline sends its commands from the context of the first, so the spans
    // of the others would join that request's trace instead of their own.
    enableAutoPipelining: !tracingInstalled(),
  });
  let lastErrorLog = 0;
  client.on('error', (error: Error) => {
    // A down server produces one error per reconnect attempt: log at most one line per 5 s.
    const now = Date.now();
    if (now - lastErrorLog < 5000) return;
    lastErrorLog = now;
    logger.warn({ err: error, redis: options.name }, 'redis connection error');
  });
  client.on('ready', () => logger.debug({ redis: options.name }, 'redis ready'));

  return {
    client,
    waitUntilReady(timeoutMs = 5000) {
      if (client.status === 'ready') return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          client.off('ready', onReady);
          reject(new Error(`redis not ready after ${timeoutMs} ms (status ${client.status})`));
        }, timeoutMs);
        const onReady = () => {
          clearTimeout(timer);
          resolve();
        };
        client.once('ready', onReady);
      });
    },
    async check() {
      const reply = await client.ping();
      if (reply !== 'PONG') throw new Error(`unexpected PING reply: ${reply}`);
    },
    async close() {
      if (client.status === 'end') return;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.quit(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('redis QUIT timed out')), 2000);
          }),
        ]);
      } catch {
        client.disconnect();
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
