import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Ports of the local servers, each overridable by its own environment variable. */
export interface InfraPorts {
  postgres: number;
  redis: number;
  mongo: number;
  rabbitmq: number;
  rabbitmqManagement: number;
  rabbitmqDist: number;
  chroma: number;
  gateway: number;
  api: number;
  /** The bot, behind the gateway's `/telegram/webhook`. */
  bot: number;
  /** Jaeger's query API and UI (its gRPC query port is the one below it). */
  jaegerUi: number;
  /** Jaeger's OTLP/HTTP receiver. */
  jaegerOtlp: number;
  prometheus: number;
  nodeExporter: number;
  postgresExporter: number;
  redisExporter: number;
  /** RabbitMQ's `rabbitmq_prometheus` plugin. */
  rabbitmqPrometheus: number;
}

/** Everything the infrastructure script takes from the environment, parsed once. */
export interface InfraConfig {
  repoRoot: string;
  dataDir: string;
  runDir: string;
  logsDir: string;
  toolsDir: string;
  host: string;
  ports: InfraPorts;
  apiHost: string;
  /** Host of the bot behind `/telegram/webhook` (an IP address: the native gateway has no resolver). */
  botHost: string;
  rabbitmqNodeName: string;
  /** Gateway limits: largest request body, and the per-IP rate and burst on /api/v1/auth/. */
  gateway: {
    maxBodySize: string;
    authRate: string;
    authBurst: number;
    /** Share of the traces beginning at the gateway that it records (`TRACING_SAMPLE_RATIO`, 0-1; with `--observability`). */
    traceSampleRatio: number;
  };
  /** Connection URLs given in the environment (`POSTGRES_URL`, ...), pointing at existing servers. */
  urls: Partial<Record<UrlVar, string>>;
  /** The environment handed to the processes this script starts. */
  baseEnv: NodeJS.ProcessEnv;
  isRoot: boolean;
}

export const URL_VARS = [
  'POSTGRES_URL',
  'REDIS_URL',
  'MONGO_URL',
  'RABBITMQ_URL',
  'RABBITMQ_MANAGEMENT_URL',
  'CHROMA_URL',
] as const;
export type UrlVar = (typeof URL_VARS)[number];

const PORT_DEFAULTS: Record<string, [keyof InfraPorts, number]> = {
  POSTGRES_PORT: ['postgres', 5432],
  REDIS_PORT: ['redis', 6379],
  MONGO_PORT: ['mongo', 27017],
  RABBITMQ_PORT: ['rabbitmq', 5672],
  RABBITMQ_MANAGEMENT_PORT: ['rabbitmqManagement', 15672],
  CHROMA_PORT: ['chroma', 8100],
  GATEWAY_PORT: ['gateway', 8080],
  API_PORT: ['api', 8000],
  BOT_PORT: ['bot', 8003],
  JAEGER_UI_PORT: ['jaegerUi', 16686],
  JAEGER_OTLP_PORT: ['jaegerOtlp', 4318],
  PROMETHEUS_PORT: ['prometheus', 9090],
  NODE_EXPORTER_PORT: ['nodeExporter', 9100],
  POSTGRES_EXPORTER_PORT: ['postgresExporter', 9187],
  REDIS_EXPORTER_PORT: ['redisExporter', 9121],
  RABBITMQ_PROMETHEUS_PORT: ['rabbitmqPrometheus', 15692],
};

/** The repository root, found from this file's location (scripts/infra/config.ts). */
export function findRepoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

function parsePort(name: string, raw: string | undefined, fallback: number, errors: string[]): number {
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    errors.push(`${name}=${raw} is not a TCP port (1-65535)`);
    return fallback;
  }
  return port;
}

/**
 * Reads the environment once and reports every invalid variable at once.
 * This module is the only reader of `process.env` in the infrastructure script.
 */
export function loadInfraConfig(env: NodeJS.ProcessEnv = process.env): InfraConfig {
  const errors: string[] = [];
  const repoRoot = findRepoRoot();
  const dataDir = join(repoRoot, '.data');
  const ports = {} as InfraPorts;
  for (const [name, [key, fallback]] of Object.entries(PORT_DEFAULTS)) {
    ports[key] = parsePort(name, env[name], fallback, errors);
  }
  ports.rabbitmqDist = parsePort(
    'RABBITMQ_DIST_PORT',
    env.RABBITMQ_DIST_PORT,
    ports.rabbitmq + 20000,
    errors,
  );

  const urls: InfraConfig['urls'] = {};
  for (const name of URL_VARS) {
    const value = env[name]?.trim();
    if (!value) continue;
    if (!URL.canParse(value)) errors.push(`${name} is not a URL`);
    else urls[name] = value;
  }
  const gateway = {
    maxBodySize: env.GATEWAY_MAX_BODY_SIZE || '25m',
    authRate: env.GATEWAY_AUTH_RATE || '10r/s',
    authBurst: Number(env.GATEWAY_AUTH_BURST || 20),
    traceSampleRatio: Number(env.TRACING_SAMPLE_RATIO || 1),
  };
  if (!/^\d+[km]?$/.test(gateway.maxBodySize)) errors.push('GATEWAY_MAX_BODY_SIZE must look like 25m');
  if (!/^\d+r\/[sm]$/.test(gateway.authRate)) errors.push('GATEWAY_AUTH_RATE must look like 10r/s');
  // nginx refuses `burst=0`: at least one request above the rate must be allowed.
  if (!Number.isInteger(gateway.authBurst) || gateway.authBurst < 1)
    errors.push('GATEWAY_AUTH_BURST must be a whole number of at least 1');
  if (!(gateway.traceSampleRatio >= 0 && gateway.traceSampleRatio <= 1))
    errors.push('TRACING_SAMPLE_RATIO must be a number from 0 to 1');
  const botHost = env.BOT_HOST || '127.0.0.1';
  if (!/^(\d{1,3}\.){3}\d{1,3}$|^\[[0-9a-fA-F:.]+\]$/.test(botHost))
    errors.push('BOT_HOST must be an IP address (the gateway resolves no names for the bot)');
  if (errors.length > 0) {
    throw new Error(`invalid environment:\n  ${errors.join('\n  ')}`);
  }
  return {
    repoRoot,
    dataDir,
    runDir: join(dataDir, 'run'),
    logsDir: join(dataDir, 'logs'),
    toolsDir: env.FLOTILLA_TOOLS_DIR || join(env.HOME || homedir(), '.cache', 'flotilla'),
    host: '127.0.0.1',
    ports,
    apiHost: env.API_HOST || '127.0.0.1',
    botHost,
    rabbitmqNodeName: env.RABBITMQ_NODENAME || 'flotilla@localhost',
    gateway,
    urls,
    baseEnv: { ...env },
    isRoot: process.getuid?.() === 0,
  };
}
