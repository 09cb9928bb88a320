import { type Static, type TObject, Type } from 'typebox';
import { AmqpUrl, HttpUrl, RedisUrl, Secret } from './common.js';

/**
 * Variables every business service (api, bot, worker) reads: where the data services are, its own
 * service token for them, and the stores it may use directly. Spread into a service's schema
 * together with `commonEnv`.
 */
export function businessServiceEnv() {
  return {
    DATA_POSTGRES_URL: HttpUrl('Base URL of data-postgres.', 'http://127.0.0.1:8001'),
    DATA_MONGO_URL: HttpUrl('Base URL of data-mongo.', 'http://127.0.0.1:8002'),
    DATA_SERVICE_TOKEN: Secret(
      "This service's token for the data services (its entry in their SERVICE_TOKENS).",
    ),
    DATA_SERVICE_CONNECTIONS: Type.Integer({
      minimum: 1,
      maximum: 1024,
      default: 64,
      description:
        'Most kept-alive connections this service opens to each data service; calls beyond them wait for a free one. Fewer make each call wait longer under load and cost more CPU per call on both sides.',
    }),
    REDIS_URL: RedisUrl,
    RABBITMQ_URL: AmqpUrl,
    CHROMA_URL: HttpUrl('ChromaDB server URL.', 'http://127.0.0.1:8100'),
  };
}

/** The camelCase view of {@link businessServiceEnv}'s variables. */
export interface BusinessServiceConfig {
  dataPostgresUrl: string;
  dataMongoUrl: string;
  dataServiceToken: string;
  dataServiceConnections: number;
  redisUrl: string;
  rabbitmqUrl: string;
  chromaUrl: string;
}

/** Maps the parsed business-service variables to {@link BusinessServiceConfig}. */
export function toBusinessServiceConfig(
  env: Static<TObject<ReturnType<typeof businessServiceEnv>>>,
): BusinessServiceConfig {
  return {
    dataPostgresUrl: env.DATA_POSTGRES_URL,
    dataMongoUrl: env.DATA_MONGO_URL,
    dataServiceToken: env.DATA_SERVICE_TOKEN,
    dataServiceConnections: env.DATA_SERVICE_CONNECTIONS,
    redisUrl: env.REDIS_URL,
    rabbitmqUrl: env.RABBITMQ_URL,
    chromaUrl: env.CHROMA_URL,
  };
}
