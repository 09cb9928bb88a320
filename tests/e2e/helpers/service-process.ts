import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WORKER_MALLOC } from '../../../scripts/lib/services.js';

export const repoRoot = join(import.meta.dirname, '..', '..', '..');

/** A service started from source as its own process, with its parsed JSON log lines. */
export interface ServiceProcess {
  name: string;
  port: number;
  child: ChildProcess;
  logs: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<number | null>;
  /** The environment it was started with (without PORT and HOST), to start it again. */
  env: NodeJS.ProcessEnv;
  url(path: string): string;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A random token long enough for the data services' SERVICE_TOKENS rule. */
export function testToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The environment every service needs, from the local infrastructure (`.data/infra.env`, loaded by
 * the test runner) with syntactically valid fallbacks for services that do not connect yet.
 */
export function baseServiceEnv(): NodeJS.ProcessEnv {
  const token = testToken();
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    POSTGRES_URL: process.env.POSTGRES_URL ?? 'postgres://flotilla@127.0.0.1:5432/flotilla',
    MONGO_URL: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    RABBITMQ_URL: process.env.RABBITMQ_URL ?? 'amqp://127.0.0.1:5672',
    CHROMA_URL: process.env.CHROMA_URL ?? 'http://127.0.0.1:8100',
    SERVICE_TOKENS: `api:${token},bot:${token},worker:${token}`,
    DATA_SERVICE_TOKEN: token,
    JWT_SIGNING_KEY: testToken(),
    // The bot's token; its Bot API is a closed local port unless a test starts a sandbox.
    BOT_TOKEN: `1000001:${testToken()}`,
    TELEGRAM_API_ROOT: 'http://127.0.0.1:9',
  };
}

/**
 * Starts `services/<name>/src/main.ts` in its own Node process (TypeScript loaded by tsx), with the
 * telemetry bootstrap loaded first as in production (inactive unless the env configures tracing), and the
 * worker with the malloc settings its image and the launcher give it (unless `env` names others).
 * `nodeArgs` go to Node before the others (e.g. `--cpu-prof`, which NODE_OPTIONS may not carry).
 */
export function startService(
  name: string,
  port: number,
  env: NodeJS.ProcessEnv,
  nodeArgs: readonly string[] = [],
): ServiceProcess {
  const args = [
    ...nodeArgs,
    '--conditions=flotilla-source',
    '--import',
    'tsx',
    '--import',
    '@flotilla/platform/telemetry',
  ];
  const child = spawn(process.execPath, [...args, 'src/main.ts'], {
    cwd: join(repoRoot, 'services', name),
    env: { ...(name === 'worker' && WORKER_MALLOC), ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ raw: line });
    }
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => stderr.push(line));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, port, child, logs, stderr, exited, env, url: (path) => `http://127.0.0.1:${port}${path}` };
}

/** Polls `/health/live` until it answers 200, or fails after `timeoutMs`. */
export async function waitUntilLive(service: ServiceProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) {
      throw new Error(`${service.name} exited with ${service.child.exitCode}: ${service.stderr.join('\n')}`);
    }
    try {
      const response = await fetch(service.url('/health/live'), { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${service.name} did not become live within ${timeoutMs} ms`);
}

/** Polls `/health/ready` until it answers 200; fails if the process exits, or after `timeoutMs`. */
export async function waitUntilReady(service: ServiceProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null) {
      throw new Error(`${service.name} exited with ${service.child.exitCode}: ${service.stderr.join('\n')}`);
    }
    const response = await fetch(service.url('/health/ready')).catch(() => undefined);
    if (response?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${service.name} was not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Stops a service (SIGTERM, SIGKILL after `killAfterMs`) and waits for its exit; nothing if it is gone. */
export async function stopServiceProcess(
  service: ServiceProcess | undefined,
  killAfterMs = 15_000,
): Promise<void> {
  if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), killAfterMs);
  await service.exited;
  clearTimeout(timer);
}
