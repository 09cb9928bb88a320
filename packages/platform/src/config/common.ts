import { type Static, type TObject, Type } from 'typebox';
import { telemetryEnv } from './telemetry-env.js';

/** Log levels accepted by `LOG_LEVEL`. */
export const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
  { default: 'info', description: 'Minimum log level.' },
);

/** A TCP port number. */
export const Port = (defaultPort: number, description = 'TCP port to listen on.') =>
  Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort, description });

/** A secret: a string long enough to resist guessing. No default, ever. */
export const Secret = (description: string, minLength = 32) =>
  Type.String({
    minLength,
    description: `${description} Secret, at least ${minLength} characters; no default.`,
  });

/**
 * Variables every Flotilla service understands. Spread into a service's own schema:
 * `Type.Object({ ...commonEnv(8000), MY_VAR: Type.String() })`.
 */
export function commonEnv(defaultPort: number) {
  return {
    NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
      default: 'development',
      description: 'Runtime environment.',
    }),
    HOST: Type.String({
      default: '127.0.0.1',
      minLength: 1,
      description: 'Interface to listen on (0.0.0.0 in containers).',
    }),
    PORT: Port(defaultPort),
    LOG_LEVEL: LogLevel,
    LOG_PRETTY: Type.Boolean({
      default: false,
      description: 'Human-readable logs instead of JSON lines (development).',
    }),
    SHUTDOWN_TIMEOUT_MS: Type.Integer({
      minimum: 100,
      maximum: 120_000,
      default: 10_000,
      description: 'Upper bound for a graceful shutdown; past it the process exits 1.',
    }),
    SHUTDOWN_DRAIN_MS: Type.Integer({
      minimum: 0,
      maximum: 60_000,
      default: 1000,
      description:
        'During a graceful shutdown, how long kept-alive connections get to close by themselves (requests on them are still served, answered with Connection: close) before idle ones are closed; at most half of SHUTDOWN_TIMEOUT_MS.',
    }),
    HTTP_BODY_LIMIT_BYTES: Type.Integer({
      minimum: 1024,
      maximum: 100 * 1024 * 1024,
      default: 1024 * 1024,
      description: 'Largest JSON request body accepted (413 above).',
    }),
    ...telemetryEnv(),
  };
}

/** An http(s) URL, with a default for local development. */
export const HttpUrl = (description: string, defaultUrl?: string) =>
  Type.String({ pattern: '^https?://[^\\s]+$', description, ...(defaultUrl ? { default: defaultUrl } : {}) });

/** A Redis URL (`redis://:password@host:port/db` or `rediss://`). Required: it carries a password. */
export const RedisUrl = Type.String({
  pattern: '^rediss?://[^\\s]+$',
  description: 'Redis URL, `redis://:password@host:6379/0`.',
});

/** An AMQP URL (`amqp://user:password@host:port/vhost` or `amqps://`). Required: it carries credentials. */
export const AmqpUrl = Type.String({
  pattern: '^amqps?://[^\\s]+$',
  description: 'RabbitMQ URL, `amqp://user:password@host:5672/vhost`.',
});

/**
 * The tokens a data service accepts, one per calling service: `api:<token>,bot:<token>,worker:<token>`.
 * Each token is at least 32 characters; parse with {@link parseServiceTokens}.
 */
export const ServiceTokens = Type.String({
  pattern: '^[a-z][a-z0-9-]*:[^,\\s]{32,}(,[a-z][a-z0-9-]*:[^,\\s]{32,})*$',
  description: 'Comma-separated caller:token pairs; tokens of at least 32 characters.',
});

/** Parses `caller:token,caller:token` into a map from caller name to token. */
export function parseServiceTokens(value: string): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const pair of value.split(',')) {
    const at = pair.indexOf(':');
    tokens.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return tokens;
}

/** The camelCase view of {@link commonEnv}'s variables. */
export interface CommonConfig {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: string;
  logPretty: boolean;
  shutdownTimeoutMs: number;
  /** `SHUTDOWN_DRAIN_MS`: the kept-alive connections' drain during a graceful shutdown. */
  shutdownDrainMs: number;
  bodyLimitBytes: number;
}

/** Maps the parsed common variables to {@link CommonConfig}. */
export function toCommonConfig(env: Static<TObject<ReturnType<typeof commonEnv>>>): CommonConfig {
  return {
    nodeEnv: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    logPretty: env.LOG_PRETTY,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainMs: env.SHUTDOWN_DRAIN_MS,
    bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
  };
}
