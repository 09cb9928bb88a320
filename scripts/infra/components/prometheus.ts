import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Component } from '../component.js';
import { ensureExecutable } from '../install/apt.js';
import { httpGet, isHttpOk } from '../probes.js';
import { infrastructureJobs } from './exporters.js';

/** One scrape job of a generated Prometheus configuration. */
export interface ScrapeJob {
  job: string;
  targets: string[];
}

/** What a native Prometheus configuration is made of. */
export interface PrometheusConfigInput {
  jobs: ScrapeJob[];
  /** Alert rule files (absolute paths or globs). */
  ruleFiles: string[];
  scrapeIntervalSeconds: number;
  /** Alertmanager `host:port`s that receive the alerts, if any. */
  alertmanagers?: string[];
}

/** The five services on their native ports (`DATA_POSTGRES_PORT`, ... or the defaults). */
export function nativeServiceJobs(env: NodeJS.ProcessEnv, host: string): ScrapeJob[] {
  const services: Array<[string, string, number]> = [
    ['api', 'API_PORT', 8000],
    ['data-postgres', 'DATA_POSTGRES_PORT', 8001],
    ['data-mongo', 'DATA_MONGO_PORT', 8002],
    ['bot', 'BOT_PORT', 8003],
    ['worker', 'WORKER_PORT', 8004],
  ];
  return services.map(([job, variable, port]) => ({ job, targets: [`${host}:${env[variable] || port}`] }));
}

/** Renders a Prometheus configuration (YAML is a superset of JSON, so it is written as JSON). */
export function renderPrometheusConfig(input: PrometheusConfigInput): string {
  const interval = `${input.scrapeIntervalSeconds}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: input.ruleFiles,
    ...(input.alertmanagers && input.alertmanagers.length > 0
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: input.alertmanagers }] }] } }
      : {}),
    scrape_configs: input.jobs.map(({ job, targets }) => ({
      job_name: job,
      static_configs: [{ targets }],
    })),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The alert rules kept as code. */
export function alertRuleFiles(repoRoot: string): string[] {
  return [join(repoRoot, 'infrastructure', 'observability', 'prometheus', 'rules', '*.yml')];
}

/**
 * Prometheus from Debian's `prometheus` package (optional, `infra up --observability`): scrapes the
 * five services on their native ports and the infrastructure (node, PostgreSQL and Redis exporters,
 * RabbitMQ's plugin) every 5 s and evaluates the alert rules of
 * `infrastructure/observability/prometheus/rules/`. Data in `.data/prometheus`.
 */
export const prometheus: Component = {
  name: 'prometheus',
  urlVar: 'PROMETHEUS_URL',
  acceptsExternal: false,
  portVars: ['PROMETHEUS_PORT'],
  startTimeoutMs: 60_000,
  ports: (ctx) => [ctx.config.ports.prometheus],
  localUrl: (ctx) => `http://${ctx.config.host}:${ctx.config.ports.prometheus}`,
  isReady: (_ctx, url) => isHttpOk(`${url}/-/ready`),
  version: async (_ctx, url) => {
    const { body } = await httpGet(`${url}/api/v1/status/buildinfo`);
    const version = (body as { data?: { version?: string } }).data?.version;
    return `Prometheus ${version ?? 'unknown'}`;
  },
  install: async (ctx) => {
    await ensureExecutable(ctx, 'prometheus', 'prometheus', 'prometheus');
  },
  prepare: async (ctx) => {
    const { config } = ctx;
    const dir = join(config.dataDir, 'prometheus');
    await mkdir(join(dir, 'data'), { recursive: true });
    const file = join(dir, 'prometheus.yml');
    await writeFile(
      file,
      renderPrometheusConfig({
        jobs: [...nativeServiceJobs(config.baseEnv, config.host), ...infrastructureJobs(ctx)],
        ruleFiles: alertRuleFiles(config.repoRoot),
        scrapeIntervalSeconds: 5,
      }),
    );
    return {
      command: await ensureExecutable(ctx, 'prometheus', 'prometheus', 'prometheus'),
      args: [
        `--config.file=${file}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=${config.host}:${config.ports.prometheus}`,
        '--storage.tsdb.retention.time=2d',
      ],
      env: config.baseEnv,
      cwd: dir,
      logFile: join(config.logsDir, 'prometheus.log'),
    };
  },
};
