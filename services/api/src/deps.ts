import {
  CONSUMER_QUEUE_LIST,
  createDataMongoClient,
  createDataPostgresClient,
  type DataMongoClient,
  type DataPostgresClient,
  EVENT_SCHEMAS,
} from '@flotilla/contracts';
import {
  createBusinessRuntime,
  type Messaging,
  type RedisConnection,
  readPackageVersion,
  type ServiceRuntime,
} from '@flotilla/platform';
import type { ApiConfig } from './config.js';
import { createUploadGate } from './http/upload-gate.js';
import { createIdentity, type Identity } from './modules/identity/identity.deps.js';
import { createKnowledge, type Knowledge } from './modules/knowledge/knowledge.deps.js';
import { createMedia, type Media } from './modules/media/media.deps.js';
import { createStats, type Stats } from './modules/stats/stats.deps.js';

/** Everything api needs, built once by {@link createDeps}: the composition root. */
export interface ApiDeps {
  config: ApiConfig;
  runtime: ServiceRuntime;
  /** The process's one Redis connection (cache, idempotency, rate limits, link codes). */
  redis: RedisConnection;
  /** Typed clients of the data services (this service's token). */
  dataPostgres: DataPostgresClient;
  dataMongo: DataMongoClient;
  /** Events in and out of RabbitMQ (`start()` connects; {@link startDeps} calls it). */
  messaging: Messaging;
  /** Identity: tokens, passwords, the cached user profiles, and the identity use cases. */
  identity: Identity;
  /** Media: photo uploads, jobs, their files and status streams. */
  media: Media;
  /** Knowledge base: documents and questions. */
  knowledge: Knowledge;
  /** Activity and processing stats. */
  stats: Stats;
  /** Prefix of the queue names (empty in production). */
  queuePrefix: string;
  /** Connects what must be connected before serving (messaging, the cache-invalidation consumer). */
  start: () => Promise<void>;
  /** Closed in this order after the HTTP server has drained. */
  closers: Array<{ name: string; close: () => Promise<void> | void }>;
}

/** Options of {@link createDeps}. */
export interface CreateDepsOptions {
  logDestination?: NodeJS.WritableStream;
  /** Prefix of the queue names (tests isolate themselves with one); none by default. */
  queuePrefix?: string;
  /** Called when the broker stays unreachable; by default logs and exits 1 so the supervisor restarts us. */
  onFatal?: (error: Error) => void;
}

/** Wires api's dependencies from its configuration. Nothing is awaited here: call `start()`. */
export function createDeps(config: ApiConfig, options: CreateDepsOptions = {}): ApiDeps {
  const shared = createBusinessRuntime({
    service: 'api',
    version: readPackageVersion(import.meta.url),
    config,
    clients: { dataPostgres: createDataPostgresClient, dataMongo: createDataMongoClient },
    events: EVENT_SCHEMAS,
    queues: CONSUMER_QUEUE_LIST,
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    ...(options.queuePrefix ? { queuePrefix: options.queuePrefix } : {}),
    ...(options.onFatal ? { onFatal: options.onFatal } : {}),
  });
  const { runtime, redis, dataPostgres, dataMongo, messaging } = shared;
  const { metrics } = runtime;
  const identity = createIdentity({ config, runtime, redis: redis.client, dataPostgres, messaging });
  const uploadGate = createUploadGate({
    maxInFlight: config.uploadsMaxInFlight,
    retryAfterSeconds: config.uploadsRetryAfterSeconds,
    registry: metrics.registry,
  });
  const media = createMedia({ config, runtime, redis, dataPostgres, dataMongo, messaging, uploadGate });
  const knowledge = createKnowledge({
    knowledgeConfig: config.knowledge,
    chromaUrl: config.chromaUrl,
    runtime,
    dataPostgres,
    dataMongo,
    intake: media.intake,
    uploadGate,
  });
  const stats = createStats({ runtime, redis, dataMongo, cacheSeconds: config.statsCacheSeconds });

  return {
    config,
    runtime,
    redis,
    dataPostgres,
    dataMongo,
    messaging,
    identity,
    media,
    knowledge,
    stats,
    queuePrefix: options.queuePrefix ?? '',
    async start() {
      await messaging.start();
      await identity.startConsumers();
    },
    closers: shared.closers({
      afterBroker: [
        { name: 'knowledge', close: () => knowledge.knowledgeBase.close() },
        { name: 'user profile tracking', close: () => identity.profiles.close() },
      ],
    }),
  };
}
