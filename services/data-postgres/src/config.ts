import { commonEnv, loadConfig, parseServiceTokens, ServiceTokens, toCommonConfig } from '@flotilla/platform';
import { Type } from 'typebox';

/** Every environment variable data-postgres reads, with a default only where one is safe. */
export const DataPostgresEnv = Type.Object({
  ...commonEnv(8001),
  POSTGRES_URL: Type.String({
    pattern: '^postgres(ql)?://[^\\s]+$',
    description: 'PostgreSQL URL, `postgres://user:password@host:5432/db`.',
  }),
  SERVICE_TOKENS: ServiceTokens,
});

/** The parsed configuration of data-postgres. */
export type DataPostgresConfig = ReturnType<typeof loadDataPostgresConfig>;

/** Parses the environment once; throws a ConfigError listing every missing or invalid variable. */
export function loadDataPostgresConfig(source?: Record<string, string | undefined>) {
  const env = loadConfig(DataPostgresEnv, { service: 'data-postgres', ...(source ? { env: source } : {}) });
  return {
    ...toCommonConfig(env),
    postgresUrl: env.POSTGRES_URL,
    serviceTokens: parseServiceTokens(env.SERVICE_TOKENS),
  };
}
