import { join } from 'node:path';
import type { Component, InfraContext } from '../component.js';
import type { InfraPorts } from '../config.js';
import { ensureExecutable } from '../install/apt.js';
import { isHttpOk } from '../probes.js';
import { postgres } from './postgres.js';
import type { ScrapeJob } from './prometheus.js';
import { redis } from './redis.js';

interface ExporterSpec {
  name: string;
  /** Components it reads from, provided first. */
  after?: readonly string[];
  /** The Debian package, which is also the program's name. */
  pkg: string;
  port: keyof InfraPorts;
  portVar: string;
  args(ctx: InfraContext, listen: string): string[];
  env(ctx: InfraContext): Record<string, string>;
}

/** A Prometheus exporter from Debian, optional (`infra up --observability`), listening on loopback. */
function exporter(spec: ExporterSpec): Component {
  const listen = (ctx: InfraContext) => `${ctx.config.host}:${ctx.config.ports[spec.port]}`;
  const binary = (ctx: InfraContext) => ensureExecutable(ctx, spec.name, spec.pkg, spec.pkg);
  return {
    name: spec.name,
    urlVar: `${spec.name.toUpperCase().replaceAll('-', '_')}_URL`,
    acceptsExternal: false,
    ...(spec.after ? { after: spec.after } : {}),
    portVars: [spec.portVar],
    startTimeoutMs: 30_000,
    ports: (ctx) => [ctx.config.ports[spec.port]],
    localUrl: (ctx) => `http://${listen(ctx)}`,
    isReady: (_ctx, url) => isHttpOk(`${url}/metrics`),
    version: async () => `${spec.pkg} (Debian)`,
    install: async (ctx) => {
      await binary(ctx);
    },
    prepare: async (ctx) => ({
      command: await binary(ctx),
      args: spec.args(ctx, listen(ctx)),
      env: { ...ctx.config.baseEnv, ...spec.env(ctx) },
      cwd: ctx.config.dataDir,
      logFile: join(ctx.config.logsDir, `${spec.name}.log`),
    }),
  };
}

const givenOrLocal = (ctx: InfraContext, component: Component) =>
  ctx.config.urls[component.urlVar as keyof typeof ctx.config.urls] ?? component.localUrl(ctx);

/** Host metrics (CPU, memory, disk, network) of this machine. */
export const nodeExporter = exporter({
  name: 'node-exporter',
  pkg: 'prometheus-node-exporter',
  port: 'nodeExporter',
  portVar: 'NODE_EXPORTER_PORT',
  args: (_ctx, address) => [`--web.listen-address=${address}`],
  env: () => ({}),
});

/** PostgreSQL server metrics (connections, transactions, locks) of the infrastructure's database. */
export const postgresExporter = exporter({
  name: 'postgres-exporter',
  after: ['postgres'],
  pkg: 'prometheus-postgres-exporter',
  port: 'postgresExporter',
  portVar: 'POSTGRES_EXPORTER_PORT',
  args: (_ctx, address) => [`--web.listen-address=${address}`],
  env: (ctx) => {
    const url = new URL(givenOrLocal(ctx, postgres));
    if (!url.searchParams.has('sslmode')) url.searchParams.set('sslmode', 'disable');
    return { DATA_SOURCE_NAME: url.toString() };
  },
});

/** Redis metrics (memory, clients, commands, keys). The password goes through the environment. */
export const redisExporter = exporter({
  name: 'redis-exporter',
  after: ['redis'],
  pkg: 'prometheus-redis-exporter',
  port: 'redisExporter',
  portVar: 'REDIS_EXPORTER_PORT',
  args: (_ctx, address) => [`-web.listen-address=${address}`],
  env: (ctx) => {
    const url = new URL(givenOrLocal(ctx, redis));
    const password = decodeURIComponent(url.password);
    url.password = '';
    url.username = '';
    return { REDIS_ADDR: `redis://${url.host}`, ...(password ? { REDIS_PASSWORD: password } : {}) };
  },
});

/** Scrape jobs of the infrastructure: the three exporters and RabbitMQ's `rabbitmq_prometheus` plugin. */
export function infrastructureJobs(ctx: InfraContext): ScrapeJob[] {
  const { host, ports } = ctx.config;
  return [
    { job: 'node', targets: [`${host}:${ports.nodeExporter}`] },
    { job: 'postgres', targets: [`${host}:${ports.postgresExporter}`] },
    { job: 'redis', targets: [`${host}:${ports.redisExporter}`] },
    { job: 'rabbitmq', targets: [`${host}:${ports.rabbitmqPrometheus}`] },
  ];
}
