import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderPrometheusConfig, type ScrapeJob } from '../../scripts/infra/components/prometheus.js';
import { freePort } from '../e2e/helpers/service-process.js';
import { ensureDebianTool, infraToolContext } from './infra-tools.js';

/** A server process of a test's own (Prometheus or Alertmanager) on a free loopback port. */
export interface TestServer {
  url: string;
  stop(): Promise<void>;
}

async function startServer(
  name: string,
  command: string,
  args: (dir: string) => string[],
  readyUrl: string,
  dir: string,
): Promise<TestServer> {
  const child: ChildProcess = spawn(command, args(dir), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`${name} exited: ${stderr.join('').slice(-2000)}`);
    }
    const ok = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) })
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} was not ready: ${stderr.join('').slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url: readyUrl.replace(/\/-\/ready$/, ''), stop };
}

/** Options of {@link startTestPrometheus}. */
export interface TestPrometheusOptions {
  jobs: ScrapeJob[];
  /** Rule files, written into the server's directory as given (name -> YAML). */
  rules?: Record<string, string>;
  alertmanagers?: string[];
  scrapeIntervalSeconds?: number;
}

/** Starts Debian's Prometheus (installed if missing) with a configuration of the test's own. */
export async function startTestPrometheus(options: TestPrometheusOptions): Promise<TestServer> {
  const binary = await ensureDebianTool('prometheus', 'prometheus');
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-prometheus-'));
  const ruleFiles: string[] = [];
  for (const [name, yaml] of Object.entries(options.rules ?? {})) {
    await writeFile(join(dir, name), yaml);
    ruleFiles.push(join(dir, name));
  }
  await writeFile(
    join(dir, 'prometheus.yml'),
    renderPrometheusConfig({
      jobs: options.jobs,
      ruleFiles,
      scrapeIntervalSeconds: options.scrapeIntervalSeconds ?? 1,
      ...(options.alertmanagers ? { alertmanagers: options.alertmanagers } : {}),
    }),
  );
  const port = await freePort();
  return startServer(
    'prometheus',
    binary,
    (where) => [
      `--config.file=${join(where, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(where, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    `http://127.0.0.1:${port}/-/ready`,
    dir,
  );
}

/**
 * Starts Debian's Alertmanager (installed if missing) with the project's routing but short
 * intervals, sending every notification (firing and resolved) to `webhookUrl`.
 */
export async function startTestAlertmanager(webhookUrl: string): Promise<TestServer> {
  const binary = await ensureDebianTool('prometheus-alertmanager', 'prometheus-alertmanager');
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-alertmanager-'));
  const config = {
    route: {
      receiver: 'test',
      group_by: ['alertname', 'job'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
    },
    receivers: [{ name: 'test', webhook_configs: [{ url: webhookUrl, send_resolved: true }] }],
  };
  await writeFile(join(dir, 'alertmanager.yml'), JSON.stringify(config, null, 2));
  const port = await freePort();
  return startServer(
    'alertmanager',
    binary,
    (where) => [
      `--config.file=${join(where, 'alertmanager.yml')}`,
      `--storage.path=${join(where, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    `http://127.0.0.1:${port}/-/ready`,
    dir,
  );
}

/** Runs an instant PromQL query and returns its result vector. */
export async function queryPrometheus(
  prometheusUrl: string,
  expr: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const url = `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const body = (await (await fetch(url)).json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  if (body.status !== 'success') throw new Error(`query failed: ${expr}: ${body.error}`);
  return body.data?.result ?? [];
}

/**
 * Starts the infrastructure's Prometheus exporters (node, PostgreSQL, Redis: the infrastructure
 * script's own components, Debian packages) on free ports against the running infrastructure. The
 * jobs also scrape the running broker's own `rabbitmq_prometheus` plugin (no exporter to start).
 */
export async function startTestExporters(): Promise<{ jobs: ScrapeJob[]; stop(): Promise<void> }> {
  const { nodeExporter, postgresExporter, redisExporter } = await import(
    '../../scripts/infra/components/exporters.js'
  );
  const ctx = infraToolContext();
  const ports = ctx.config.ports;
  ports.nodeExporter = await freePort();
  ports.postgresExporter = await freePort();
  ports.redisExporter = await freePort();
  const children: ChildProcess[] = [];
  const jobs: ScrapeJob[] = [];
  for (const [job, component] of [
    ['node', nodeExporter],
    ['postgres', postgresExporter],
    ['redis', redisExporter],
  ] as const) {
    await component.install(ctx);
    const spec = await component.prepare(ctx);
    children.push(spawn(spec.command, spec.args, { env: spec.env, stdio: 'ignore' }));
    jobs.push({ job, targets: [component.localUrl(ctx).replace(/^http:\/\//, '')] });
  }
  jobs.push({ job: 'rabbitmq', targets: [`${ctx.config.host}:${ctx.config.ports.rabbitmqPrometheus}`] });
  return {
    jobs,
    async stop() {
      for (const child of children) {
        if (child.exitCode !== null) continue;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
