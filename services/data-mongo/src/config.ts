import { commonEnv, loadConfig, parseServiceTokens, ServiceTokens, toCommonConfig } from '@flotilla/platform';
import { Type } from 'typebox';

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
    serviceTokens: parseServiceTokens(env.SERVICE_TOKENS),
  };
}
