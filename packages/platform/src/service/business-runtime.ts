import type { BusinessServiceConfig } from '../config/business-env.js';
import type { CommonConfig } from '../config/common.js';
import type { HealthCheck } from '../health/health.js';
import type { ServiceClientOptions } from '../http/client/client-options.js';
import type { EventSchemas } from '../messaging/event-envelope.js';
import { createMessaging, type DeclaredQueue, type Messaging } from '../messaging/messaging.js';
import { createRedis, type RedisConnection } from '../redis/redis-client.js';
import { createServiceRuntime, type ServiceRuntime } from './service-runtime.js';

/** A data-service client as the runtime needs it: a way to close its pool. */
interface DataClient {
  close(): Promise<void>;
}

/** Readiness of a data service: its `/health/live` answers 200 within 2 s. */
function liveCheck(name: string, baseUrl: string): HealthCheck {
  return async () => {
    const response = await fetch(new URL('/health/live', baseUrl), { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`${name} answered ${response.status}`);
  };
}

/** Options of {@link createBusinessRuntime}. */
export interface BusinessRuntimeOptions<P extends DataClient, M extends DataClient> {
  service: string;
  version: string;
  config: CommonConfig & BusinessServiceConfig;
  /** The typed client factories of data-postgres and data-mongo (from `@flotilla/contracts`). */
  clients: {
    dataPostgres: (options: Omit<ServiceClientOptions, 'name'>) => P;
    dataMongo: (options: Omit<ServiceClientOptions, 'name'>) => M;
  };
  /** The event catalogue and the consumer queues every service declares. */
  events: EventSchemas;
  queues: ReadonlyArray<DeclaredQueue>;
  logDestination?: NodeJS.WritableStream;
  /** Prefix of the queue names (tests isolate themselves with one); none by default. */
  queuePrefix?: string;
  /** How long a closing consumer waits for handlers in flight. */
  drainTimeoutMs?: number;
  /** Called when the broker stays unreachable; by default logs and exits 1 so the supervisor restarts us. */
  onFatal?: (error: Error) => void;
}

/** What every business service (api, bot, worker) is built on. */
export interface BusinessRuntime<P, M> {
  runtime: ServiceRuntime;
  /** The process's one Redis connection. */
  redis: RedisConnection;
  /** Typed clients of the data services, with this service's token. */
  dataPostgres: P;
  dataMongo: M;
  /** Events in and out of RabbitMQ; every consumer queue of the system is declared at connect. */
  messaging: Messaging;
  /**
   * The closers of a service in shutdown order: `first` (stop taking work: schedules, polling), the
   * broker (consumers drain), `afterBroker` (flush what the drained handlers left: batches, caches),
   * then the data clients and Redis.
   */
  closers(parts?: { first?: Closer[]; afterBroker?: Closer[] }): Closer[];
}

/** One step of a graceful shutdown. */
export interface Closer {
  name: string;
  close: () => Promise<void> | void;
}

/**
 * Creates the parts api, bot and worker share: logger, metrics and health; one Redis connection; the two
 * data-service clients (pooled, with this service's token); messaging with its fatal handler; the
 * standard readiness checks (Redis, RabbitMQ, data-postgres, data-mongo); and the closers in order.
 * Nothing connects here: the service's `start()` calls `messaging.start()`.
 */
export function createBusinessRuntime<P extends DataClient, M extends DataClient>(
  options: BusinessRuntimeOptions<P, M>,
): BusinessRuntime<P, M> {
  const { config, service } = options;
  const runtime = createServiceRuntime({
    service,
    version: options.version,
    logLevel: config.logLevel,
    logPretty: config.logPretty,
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
  });
  const { logger, metrics, health } = runtime;
  const redis = createRedis({ url: config.redisUrl, name: service, logger });
  const clientOptions = {
    callerName: service,
    serviceToken: config.dataServiceToken,
    connections: config.dataServiceConnections,
    logger,
    metrics: metrics.registry,
  };
  const dataPostgres = options.clients.dataPostgres({ ...clientOptions, baseUrl: config.dataPostgresUrl });
  const dataMongo = options.clients.dataMongo({ ...clientOptions, baseUrl: config.dataMongoUrl });
  const messaging = createMessaging({
    url: config.rabbitmqUrl,
    service,
    events: options.events,
    queues: options.queues,
    logger,
    registry: metrics.registry,
    redis: redis.client,
    ...(options.drainTimeoutMs !== undefined && { drainTimeoutMs: options.drainTimeoutMs }),
    ...(options.queuePrefix ? { queuePrefix: options.queuePrefix } : {}),
    onFatal:
      options.onFatal ??
      ((error) => {
        logger.fatal({ err: error }, 'RabbitMQ unreachable: exiting');
        process.exit(1);
      }),
  });

  health.addCheck('redis', redis.check);
  health.addCheck('rabbitmq', messaging.check);
  health.addCheck('data-postgres', liveCheck('data-postgres', config.dataPostgresUrl));
  health.addCheck('data-mongo', liveCheck('data-mongo', config.dataMongoUrl));

  return {
    runtime,
    redis,
    dataPostgres,
    dataMongo,
    messaging,
    closers: (parts = {}) => [
      ...(parts.first ?? []),
      { name: 'rabbitmq', close: () => messaging.close() },
      ...(parts.afterBroker ?? []),
      { name: 'data-postgres', close: () => dataPostgres.close() },
      { name: 'data-mongo', close: () => dataMongo.close() },
      { name: 'redis', close: () => redis.close() },
    ],
  };
}
