/**
 * `npm start`: the whole system on one machine.
 *   1. brings the local infrastructure up (PostgreSQL, Redis, RabbitMQ, MongoDB-wire, ChromaDB, nginx),
 *   2. builds the TypeScript (tsc -b) and runs database migrations,
 *   3. starts the five services as separate processes and waits until each is live,
 *   4. prints the URLs; Ctrl-C (or SIGTERM) stops every process it started, services first, then the
 *      infrastructure components that this run brought up (servers that were already running stay).
 *
 * Options: --watch (services run from source with tsx watch), --keep-infra (leave infrastructure up),
 * --observability (also Jaeger and Prometheus; the services export their traces to Jaeger).
 * Environment: `.env` at the repository root overrides anything (see `.env.example`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs, parseEnv } from 'node:util';
import { readInfraEnv } from './infra/env-file.js';
import { infraDown, infraUp } from './lib/infra-control.js';
import { reRunOnSupportedNode } from './lib/node-lines.js';
import {
  ensureDevSecrets,
  SERVICES,
  type ServiceName,
  serviceEnvironment,
  servicePorts,
  telegramSetup,
} from './lib/services.js';
import { type Supervised, startSupervised, stopSupervised } from './lib/supervisor.js';

const repoRoot = join(import.meta.dirname, '..');
await reRunOnSupportedNode(repoRoot, 'npm start');
const { values } = parseArgs({
  options: {
    watch: { type: 'boolean', default: false },
    'keep-infra': { type: 'boolean', default: false },
    observability: { type: 'boolean', default: false },
  },
});
const colour = Boolean(process.stdout.isTTY);
const running: Supervised[] = [];
/** Helpers that are not services (the Bot API sandbox), stopped after the services. */
const helpers: Supervised[] = [];
let startedInfra: string[] = [];
let stopping: Promise<void> | undefined;
/** The telemetry bootstrap every service process loads first (a no-op unless tracing or Sentry is configured). */
const TELEMETRY = '@flotilla/platform/telemetry';

function say(message: string): void {
  process.stdout.write(`${colour ? '\u001b[1m' : ''}flotilla${colour ? '\u001b[0m' : ''} │ ${message}\n`);
}

function runStep(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(127));
  });
}

async function waitLive(
  name: ServiceName,
  port: number,
  process_: Supervised,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process_.done) throw new Error(`${name} exited during start-up (code ${await process_.exited})`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/live`, {
        signal: AbortSignal.timeout(1000),
      });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} did not answer /health/live on port ${port} within ${timeoutMs / 1000} s`);
}

async function stopAll(reason: string, exitCode: number): Promise<void> {
  stopping ??= (async () => {
    say(`stopping (${reason})…`);
    for (const process_ of [...running].reverse().concat(helpers)) {
      const code = await stopSupervised(process_, 15_000);
      say(`${process_.name} stopped (exit ${code})`);
    }
    if (startedInfra.length > 0 && !values['keep-infra']) {
      say(`stopping infrastructure this run started: ${startedInfra.join(', ')}`);
      await infraDown(repoRoot, startedInfra);
    }
    say('all stopped');
    process.exit(exitCode);
  })();
  return stopping;
}

/** The service ports something already listens on (a service left running would answer our health checks). */
async function busyPorts(ports: Record<string, number>): Promise<Array<[string, number]>> {
  const busy: Array<[string, number]> = [];
  for (const [name, port] of Object.entries(ports)) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) busy.push([name, port]);
  }
  return busy;
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll('SIGINT', 0));
  process.on('SIGTERM', () => void stopAll('SIGTERM', 0));

  say('bringing the infrastructure up…');
  const infra = await infraUp(repoRoot, values.observability);
  startedInfra = infra.started;
  if (!infra.ok) {
    say('the infrastructure could not be brought up (see above)');
    return stopAll('infrastructure failed', 1);
  }

  const userEnv = existsSync(join(repoRoot, '.env'))
    ? parseEnv(await readFile(join(repoRoot, '.env'), 'utf8'))
    : {};
  const shared: NodeJS.ProcessEnv = { ...(await readInfraEnv(repoRoot)), ...process.env, ...userEnv };
  shared.LOG_PRETTY ??= colour ? 'true' : 'false';
  if (values.observability && shared.JAEGER_OTLP_URL) shared.TRACING_OTLP_URL ??= shared.JAEGER_OTLP_URL;
  const secrets = await ensureDevSecrets(repoRoot);
  const ports = servicePorts(shared);
  const telegram = telegramSetup(shared, secrets);
  const busy = await busyPorts({
    ...ports,
    ...(telegram.sandbox ? { 'telegram sandbox': telegram.port } : {}),
  });
  if (busy.length > 0) {
    for (const [name, port] of busy) {
      say(
        `port ${port} (${name}) is already in use: stop what listens there, or choose another port in .env`,
      );
    }
    return stopAll('ports in use', 1);
  }

  if (!values.watch) {
    say('building (tsc -b)…');
    if ((await runStep('npx', ['tsc', '-b'], shared)) !== 0) return stopAll('build failed', 1);
  }
  const migrateEnv = serviceEnvironment('data-postgres', shared, secrets, ports);
  // Watch mode runs from source (no build), so it migrates from source too.
  const migrateScript = values.watch ? 'migrate:dev' : 'migrate';
  if (
    (await runStep(
      'npm',
      ['run', migrateScript, '--if-present', '-w', '@flotilla/data-postgres'],
      migrateEnv,
    )) !== 0
  ) {
    return stopAll('migrations failed', 1);
  }

  if (telegram.sandbox) {
    // No BOT_TOKEN: the bot talks to the local Bot API sandbox, whose chat page plays Telegram.
    const cwd = join(repoRoot, 'packages', 'telegram-sandbox');
    const args = ['--port', String(telegram.port), '--token', telegram.token];
    const [command, commandArgs] = values.watch
      ? [process.execPath, ['--conditions=flotilla-source', '--import', 'tsx', 'src/main.ts', ...args]]
      : [process.execPath, ['--enable-source-maps', 'dist/main.js', ...args]];
    const sandbox = startSupervised('sandbox', SERVICES.length, command, commandArgs as string[], {
      cwd,
      env: shared,
      colour,
    });
    helpers.push(sandbox);
    void sandbox.exited.then((code) => {
      if (!stopping) void stopAll(`the Telegram sandbox exited unexpectedly with code ${code}`, 1);
    });
  }

  for (const [index, service] of SERVICES.entries()) {
    const env = serviceEnvironment(service.name, shared, secrets, ports);
    const cwd = join(repoRoot, 'services', service.name);
    const [command, args] = values.watch
      ? [
          process.execPath,
          [
            join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
            'watch',
            '--conditions=flotilla-source',
            '--import',
            TELEMETRY,
            'src/main.ts',
          ],
        ]
      : [process.execPath, ['--enable-source-maps', '--import', TELEMETRY, 'dist/main.js']];
    const process_ = startSupervised(service.name, index, command, args as string[], { cwd, env, colour });
    running.push(process_);
    void process_.exited.then((code) => {
      if (!stopping) void stopAll(`${service.name} exited unexpectedly with code ${code}`, 1);
    });
  }
  try {
    await Promise.all(
      SERVICES.map((service, index) =>
        waitLive(service.name, ports[service.name], running[index] as Supervised, 60_000),
      ),
    );
  } catch (error) {
    say(error instanceof Error ? error.message : String(error));
    return stopAll('start-up failed', 1);
  }

  const gateway = shared.GATEWAY_URL ?? 'http://127.0.0.1:8080';
  say('Flotilla is running:');
  say(`  gateway        ${gateway}  (API at ${gateway}/api/v1, docs at ${gateway}/docs)`);
  for (const service of SERVICES) {
    const extra = service.name === 'api' ? `  docs /docs` : '';
    say(
      `  ${service.name.padEnd(14)} http://127.0.0.1:${ports[service.name]}  health /health/ready, metrics /metrics${extra}`,
    );
  }
  if (values.observability) {
    say(`  jaeger         ${shared.JAEGER_URL ?? 'not running'}  (traces: search by service)`);
    say(`  prometheus     ${shared.PROMETHEUS_URL ?? 'not running'}  (alerts at /alerts)`);
  }
  if (telegram.sandbox) {
    say(
      `  telegram       http://127.0.0.1:${telegram.port}/  the local Bot API sandbox: chat with the bot on this page (no BOT_TOKEN set)`,
    );
  }
  say(`  pids           ${running.map((process_) => `${process_.name}=${process_.child.pid}`).join(' ')}`);
  say('press Ctrl-C to stop everything');
}

await main();
