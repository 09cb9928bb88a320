import { commonEnv, loadConfig, parseServiceTokens, ServiceTokens, toCommonConfig } from '@flotilla/platform';
import { Type } from 'typebox';

const PostgresUrl = Type.String({
  pattern: '^postgres(ql)?://[^\\s]+$',
  description: 'PostgreSQL URL, `postgres://user:password@host:5432/db`.',
});

const LogLevel = commonEnv(8001).LOG_LEVEL;

/** Every environment variable data-postgres reads, with a default only where one is safe. */
export const DataPostgresEnv = Type.Object({
  ...commonEnv(8001),
  POSTGRES_URL: PostgresUrl,
  POSTGRES_POOL_MAX: Type.Integer({
    minimum: 1,
    maximum: 200,
    default: 10,
    description: 'Largest number of PostgreSQL connections data-postgres keeps open.',
  }),
  POSTGRES_STATEMENT_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 5000,
    description:
      'PostgreSQL `statement_timeout` of every connection: a longer query is cancelled (503 `DB.TIMEOUT`, with this wait in whole seconds as `Retry-After`).',
  }),
  POSTGRES_CONNECT_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 60_000,
    default: 5000,
    description:
      'Longest wait for a PostgreSQL connection (new or from the pool) before a request fails (503 `DB.UNAVAILABLE`, with this wait in whole seconds as `Retry-After`).',
  }),
  MIGRATE_ON_START: Type.Boolean({
    default: false,
    description: 'Apply pending migrations when data-postgres starts (otherwise run `npm run migrate`).',
  }),
  SERVICE_TOKENS: ServiceTokens,
  RABBITMQ_URL: Type.Optional(
    Type.String({
      pattern: '^amqps?://[^\\s]+$',
      description:
        'RabbitMQ URL the outbox relay publishes to (`amqp://user:password@host:5672/vhost`, the vhost of the business services). Unset: the relay does not run and events wait in the outbox.',
    }),
  ),
  OUTBOX_BATCH_SIZE: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 100,
    description: 'Outbox events the relay claims and publishes per transaction.',
  }),
  OUTBOX_POLL_MS: Type.Integer({
    minimum: 50,
    maximum: 60_000,
    default: 1000,
    description:
      'Longest pause of the outbox relay between two looks at the table (it is also woken by every commit that stores events).',
  }),
  OUTBOX_RETENTION_SECONDS: Type.Integer({
    minimum: 60,
    maximum: 30 * 24 * 3600,
    default: 24 * 3600,
    description: 'How long published outbox events are kept before they are deleted.',
  }),
});

/** The parsed configuration of data-postgres. */
export type DataPostgresConfig = ReturnType<typeof loadDataPostgresConfig>;

/** Connection settings of the PostgreSQL pool. */
export interface PostgresConfig {
  url: string;
  poolMax: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
}

/** Parses the environment once; throws a ConfigError listing every missing or invalid variable. */
export function loadDataPostgresConfig(source?: Record<string, string | undefined>) {
  const env = loadConfig(DataPostgresEnv, { service: 'data-postgres', ...(source ? { env: source } : {}) });
  const postgres: PostgresConfig = {
    url: env.POSTGRES_URL,
    poolMax: env.POSTGRES_POOL_MAX,
    statementTimeoutMs: env.POSTGRES_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: env.POSTGRES_CONNECT_TIMEOUT_MS,
  };
  return {
    ...toCommonConfig(env),
    postgres,
    migrateOnStart: env.MIGRATE_ON_START,
    serviceTokens: parseServiceTokens(env.SERVICE_TOKENS),
    outbox: {
      rabbitmqUrl: env.RABBITMQ_URL,
      batchSize: env.OUTBOX_BATCH_SIZE,
      pollMs: env.OUTBOX_POLL_MS,
      retentionSeconds: env.OUTBOX_RETENTION_SECONDS,
    },
  };
}

/** The variables the migration command reads: a subset of {@link DataPostgresEnv}, no service tokens. */
export const MigrateEnv = Type.Object({ POSTGRES_URL: PostgresUrl, LOG_LEVEL: LogLevel });

/** Parses the migration command's environment. */
export function loadMigrateConfig(source?: Record<string, string | undefined>) {
  const env = loadConfig(MigrateEnv, {
    service: 'data-postgres migrate',
    ...(source ? { env: source } : {}),
  });
  return { postgresUrl: env.POSTGRES_URL, logLevel: env.LOG_LEVEL };
}
