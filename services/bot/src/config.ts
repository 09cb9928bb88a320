import {
  AmqpUrl,
  commonEnv,
  HttpUrl,
  loadConfig,
  RedisUrl,
  Secret,
  toCommonConfig,
} from '@flotilla/platform';
import { Type } from 'typebox';

/** Every environment variable bot reads, with a default only where one is safe. */
export const BotEnv = Type.Object({
  ...commonEnv(8003),
  DATA_POSTGRES_URL: HttpUrl('Base URL of data-postgres.', 'http://127.0.0.1:8001'),
  DATA_MONGO_URL: HttpUrl('Base URL of data-mongo.', 'http://127.0.0.1:8002'),
  DATA_SERVICE_TOKEN: Secret(
    "This service's token for the data services (its entry in their SERVICE_TOKENS).",
  ),
  REDIS_URL: RedisUrl,
  RABBITMQ_URL: AmqpUrl,
  CHROMA_URL: HttpUrl('ChromaDB server URL.', 'http://127.0.0.1:8100'),
});

/** The parsed configuration of bot. */
export type BotConfig = ReturnType<typeof loadBotConfig>;

/** Parses the environment once; throws a ConfigError listing every missing or invalid variable. */
export function loadBotConfig(source?: Record<string, string | undefined>) {
  const env = loadConfig(BotEnv, { service: 'bot', ...(source ? { env: source } : {}) });
  return {
    ...toCommonConfig(env),
    dataPostgresUrl: env.DATA_POSTGRES_URL,
    dataMongoUrl: env.DATA_MONGO_URL,
    dataServiceToken: env.DATA_SERVICE_TOKEN,
    redisUrl: env.REDIS_URL,
    rabbitmqUrl: env.RABBITMQ_URL,
    chromaUrl: env.CHROMA_URL,
  };
}
