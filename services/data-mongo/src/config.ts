import { commonEnv, loadConfig, parseServiceTokens, ServiceTokens, toCommonConfig } from '@flotilla/platform';
import { Type } from 'typebox';

const MIB = 1024 * 1024;

/** Every environment variable data-mongo reads, with a default only where one is safe. */
export const DataMongoEnv = Type.Object({
  ...commonEnv(8002),
  MONGO_URL: Type.String({
    pattern: '^mongodb(\\+srv)?://[^\\s]+$',
    description: 'MongoDB URL, `mongodb://host:27017/`.',
  }),
  MONGO_DATABASE: Type.String({
    default: 'flotilla',
    minLength: 1,
    maxLength: 63,
    description: 'Database name.',
  }),
  MONGO_POOL_SIZE: Type.Integer({
    minimum: 1,
    maximum: 500,
    default: 20,
    description: 'Most connections data-mongo opens to MongoDB.',
  }),
  MONGO_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 120_000,
    default: 5000,
    description:
      'How long an operation waits for a reachable MongoDB server (server selection and connect) before failing; a request that found no server in that time is answered 503 `STORAGE.UNAVAILABLE` with this wait (in whole seconds) as `Retry-After`.',
  }),
  MONGO_ANALYTICS_RETENTION_DAYS: Type.Integer({
    minimum: 1,
    maximum: 3650,
    default: 90,
    description:
      'Analytics events older than this (by `occurred_at`) are deleted: by a TTL index, or by a periodic sweep on servers without TTL indexes (FerretDB).',
  }),
  MONGO_ANALYTICS_SWEEP_MINUTES: Type.Integer({
    minimum: 1,
    maximum: 1440,
    default: 60,
    description: 'Interval of the retention sweep, used only when the server has no TTL indexes.',
  }),
  BLOB_MAX_BYTES: Type.Integer({
    minimum: 1,
    maximum: 5 * 1024 * MIB,
    default: 64 * MIB,
    description: 'Largest file accepted by a blob upload, in bytes (413 above; enforced while streaming).',
  }),
  SERVICE_TOKENS: ServiceTokens,
});

/** The parsed configuration of data-mongo. */
export type DataMongoConfig = ReturnType<typeof loadDataMongoConfig>;

/** Parses the environment once; throws a ConfigError listing every missing or invalid variable. */
export function loadDataMongoConfig(source?: Record<string, string | undefined>) {
  const env = loadConfig(DataMongoEnv, { service: 'data-mongo', ...(source ? { env: source } : {}) });
  return {
    ...toCommonConfig(env),
    mongoUrl: env.MONGO_URL,
    mongoDatabase: env.MONGO_DATABASE,
    mongoPoolSize: env.MONGO_POOL_SIZE,
    mongoTimeoutMs: env.MONGO_TIMEOUT_MS,
    analyticsRetentionDays: env.MONGO_ANALYTICS_RETENTION_DAYS,
    analyticsSweepIntervalMs: env.MONGO_ANALYTICS_SWEEP_MINUTES * 60_000,
    blobMaxBytes: env.BLOB_MAX_BYTES,
    serviceTokens: parseServiceTokens(env.SERVICE_TOKENS),
  };
}
