import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../../../scripts/infra/exec.js';
import {
  ensureGatewayTracingModules,
  type GatewayTracing,
  gatewayTracingConfig,
} from '../../../scripts/infra/gateway-tracing.js';
import { renderTemplateFile } from '../../../scripts/infra/generated-files.js';
import { infraToolContext } from '../../support/infra-tools.js';
import { repoRoot } from './service-process.js';

/** An nginx of a test's own, running the project's gateway config in front of several apis. */
export interface TestGateway {
  url: string;
  /** Process id of the nginx master (its workers are its children). */
  pid: number | undefined;
  /** The rendered server config (with its upstream). */
  config: string;
  /** Lines of the JSON access log: one per request, with `upstream_addr`. */
  accessLog(): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

/** Limits of a test gateway, and where its `/telegram/webhook` goes. */
export interface TestGatewayOptions {
  maxBodySize?: string;
  authRate?: string;
  authBurst?: number;
  /** Port of the bot behind `/telegram/webhook`; unset: a closed port (the route answers 502). */
  botPort?: number;
  /** The gateway's own spans, exported as with `npm run infra -- up --observability`. */
  tracing?: GatewayTracing;
}

/**
 * Renders `infrastructure/nginx/` for a gateway on `port` whose api upstream holds every port of
 * `apiPorts` (nginx balances round-robin), and runs nginx in the foreground from a scratch prefix.
 */
export async function startTestGateway(
  port: number,
  apiPorts: number[],
  limits: TestGatewayOptions = {},
): Promise<TestGateway> {
  const nginx = await findExecutable('nginx', process.env.PATH, ['/usr/sbin']);
  if (!nginx) throw new Error('nginx is not installed: run `npm run infra -- up` first');
  const prefix = await mkdtemp(join(tmpdir(), 'flotilla-gateway-'));
  // nginx workers run unprivileged when the master is root: they must reach the prefix.
  await chmod(prefix, 0o755);
  await mkdir(join(prefix, 'conf.d'));
  await mkdir(join(prefix, 'modules.d'));
  await mkdir(join(prefix, 'tmp'), { mode: 0o777 });
  await chmod(join(prefix, 'tmp'), 0o777);
  const accessLog = join(prefix, 'access.log');
  const templates = join(repoRoot, 'infrastructure', 'nginx');
  const [first] = apiPorts;
  const values = {
    GATEWAY_MAX_BODY_SIZE: limits.maxBodySize ?? '25m',
    GATEWAY_AUTH_RATE: limits.authRate ?? '100r/s',
    GATEWAY_AUTH_BURST: limits.authBurst ?? 100,
    GATEWAY_LISTEN: `127.0.0.1:${port}`,
    API_HOST: '127.0.0.1',
    API_PORT: first ?? 0,
    BOT_HOST: '127.0.0.1',
    // Port 9 (discard) is closed on loopback: without a bot the webhook route answers 502.
    BOT_PORT: limits.botPort ?? 9,
    GATEWAY_ACCESS_LOG: accessLog,
    NGINX_PID_FILE: join(prefix, 'nginx.pid'),
    NGINX_ERROR_LOG: join(prefix, 'error.log'),
    NGINX_TEMP_DIR: join(prefix, 'tmp'),
    NGINX_CONF_DIR: join(prefix, 'conf.d'),
    NGINX_MODULES_DIR: join(prefix, 'modules.d'),
  };
  const single = `server 127.0.0.1:${first} max_fails=0;`;
  const gateway = await renderTemplateFile(join(templates, 'templates', 'gateway.conf.template'), values);
  if (!gateway.includes(single)) throw new Error(`the gateway template has no line "${single}"`);
  const config = gateway.replace(
    single,
    apiPorts.map((apiPort) => `server 127.0.0.1:${apiPort} max_fails=0;`).join('\n  '),
  );
  const main = join(prefix, 'nginx.conf');
  await writeFile(main, await renderTemplateFile(join(templates, 'nginx.conf.template'), values));
  await writeFile(join(prefix, 'conf.d', 'gateway.conf'), config);
  if (limits.tracing) {
    await ensureGatewayTracingModules(infraToolContext());
    const tracing = gatewayTracingConfig(repoRoot, limits.tracing);
    await writeFile(join(prefix, 'modules.d', 'tracing.conf'), tracing.modules);
    await writeFile(join(prefix, 'conf.d', 'tracing.conf'), tracing.http);
  }
  const errorLog = join(prefix, 'error.log');
  const child: ChildProcess = spawn(nginx, ['-p', prefix, '-c', main, '-e', errorLog], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(prefix, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      const log = await readFile(errorLog, 'utf8').catch(() => '');
      await stop();
      throw new Error(`nginx exited: ${stderr.join('')} ${log}`);
    }
    const health = await fetch(`${url}/health`).catch(() => undefined);
    if (health?.ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('the test gateway did not answer /health');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid,
    config,
    async accessLog() {
      const text = await readFile(accessLog, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    stop,
  };
}
