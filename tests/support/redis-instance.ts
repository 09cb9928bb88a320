import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../e2e/helpers/service-process.js';
import { ensureDebianTool } from './infra-tools.js';
import { stopServerProcess, waitUntilAnswering } from './server-process.js';

/** A Redis server of a test's own, which the test may stop and start again. */
export interface RedisInstance {
  /** `redis://:<password>@127.0.0.1:<port>/0`. */
  url: string;
  /** Stops the server and waits for it to exit: Redis is down. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted) and waits until it answers. */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

/**
 * Runs `redis-server` (Debian's, installed when missing) on a free loopback port with a random password
 * and no persistence, so a test can take Redis down without touching the shared one.
 */
export async function startRedisInstance(): Promise<RedisInstance> {
  const binary = await ensureDebianTool('redis-server', 'redis-server');
  const port = await freePort();
  const password = randomBytes(18).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-redis-'));
  const url = `redis://:${password}@127.0.0.1:${port}/0`;
  let child: ChildProcess | undefined;

  async function answers(): Promise<boolean> {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }

  async function start(): Promise<void> {
    const process_ = spawn(
      binary,
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--requirepass',
        password,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    child = process_;
    await waitUntilAnswering(process_, 'redis-server', answers, { timeoutMs: 20_000, pollMs: 100 });
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    await stopServerProcess(running, 'SIGTERM', 10_000);
  }

  await start();
  return {
    url,
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
