import {
  CONSUMER_QUEUE_LIST,
  createDataMongoClient,
  createDataPostgresClient,
  type DataMongoClient,
  type DataPostgresClient,
  EVENT_SCHEMAS,
} from '@flotilla/contracts';
import { createKnowledgeBase } from '@flotilla/knowledge';
import {
  createLock,
  createMessaging,
  createRedis,
  createServiceRuntime,
  type Locks,
  type Messaging,
  type RedisConnection,
  readPackageVersion,
  type ServiceRuntime,
} from '@flotilla/platform';
import type { WorkerConfig } from './config.js';
import { createAnalyticsModule } from './modules/analytics/analytics.deps.js';
import { createDocumentsModule } from './modules/documents/documents.deps.js';
import { createMediaModule } from './modules/media/media.deps.js';
import { createJobSchedules } from './schedules/job-schedules.js';
import {
  createScheduleMetrics,
  type ScheduleHandle,
  type ScheduleSpec,
  startSchedule,
} from './schedules/schedule.runner.js';
import type { ConsumerStarter } from './shared/consumer-starter.js';

/** Everything worker needs, built once by {@link createDeps}: the composition root. */
export interface WorkerDeps {
  config: WorkerConfig;
  runtime: ServiceRuntime;
  /** The process's one Redis connection (idempotency markers, schedule locks). */
  redis: RedisConnection;
  dataPostgres: DataPostgresClient;
  dataMongo: DataMongoClient;
  /** Events in and out of RabbitMQ; every consumer queue of the system is declared at connect. */
  messaging: Messaging;
  locks: Locks;
  /** Consumers started by `start()` after messaging connected; add a module's starters here. */
  consumers: ConsumerStarter[];
  /** Periodic tasks started by `start()` (when enabled), each under a Redis lock. */
  schedules: ScheduleSpec[];
  /** Connects messaging, then starts the consumers, then the schedules. */
  start(): Promise<void>;
  /** The running schedules (after `start()`). */
  runningSchedules(): readonly ScheduleHandle[];
  /** Closed in this order after the HTTP server has drained. */
  closers: Array<{ name: string; close: () => Promise<void> | void }>;
}

/** Options of {@link createDeps}. */
export interface CreateDepsOptions {
  logDestination?: NodeJS.WritableStream;
  /** Prefix of the queue names (tests may isolate themselves with one); none by default. */
  queuePrefix?: string;
  /** Called when the broker stays unreachable; `main.ts` shuts down and exits non-zero. */
  onFatal?: (error: Error) => void;
}

/** Wires worker's dependencies from its configuration. Nothing connects here: call `start()`. */
export function createDeps(config: WorkerConfig, options: CreateDepsOptions = {}): WorkerDeps {
  const runtime = createServiceRuntime({
    service: 'worker',
    version: readPackageVersion(import.meta.url),
    logLevel: config.logLevel,
    logPretty: config.logPretty,
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
  });
  const { logger, metrics, health } = runtime;
  const redis = createRedis({ url: config.redisUrl, name: 'worker', logger });
  const clientOptions = {
    callerName: 'worker',
    serviceToken: config.dataServiceToken,
    logger,
    metrics: metrics.registry,
  };
  const dataPostgres = createDataPostgresClient({ ...clientOptions, baseUrl: config.dataPostgresUrl });
  const dataMongo = createDataMongoClient({ ...clientOptions, baseUrl: config.dataMongoUrl });
  const retryDelaysMs = config.retryDelaysMs;
  const messaging = createMessaging({
    url: config.rabbitmqUrl,
    service: 'worker',
    events: EVENT_SCHEMAS,
    // The worker's own queues with the configured retry delays, so declarations and consumers agree.
    queues: CONSUMER_QUEUE_LIST.map((queue) =>
      queue.consumer === 'worker' && retryDelaysMs ? { ...queue, retryDelaysMs } : queue,
    ),
    logger,
    registry: metrics.registry,
    redis: redis.client,
    drainTimeoutMs: Math.max(1000, config.shutdownTimeoutMs - 2000),
    ...(options.queuePrefix ? { queuePrefix: options.queuePrefix } : {}),
    onFatal:
      options.onFatal ??
      ((error) => {
        logger.fatal({ err: error }, 'RabbitMQ unreachable: exiting');
        process.exit(1);
      }),
  });
  const locks = createLock(redis.client);

  const shared = { config, runtime, dataPostgres, dataMongo, messaging, retryDelaysMs };
  const media = createMediaModule({ ...shared, redis: redis.client });
  const analytics = createAnalyticsModule(shared);
  const knowledge = createKnowledgeBase(config.documents.knowledge, {
    chromaUrl: config.chromaUrl,
    registry: metrics.registry,
    logger,
  });
  const documents = createDocumentsModule({
    config: config.documents,
    messaging,
    dataPostgres,
    dataMongo,
    knowledge,
    logger,
    registry: metrics.registry,
    retryDelaysMs,
  });
  const consumers: ConsumerStarter[] = [...media.consumers, ...documents.consumers, ...analytics.consumers];
  const schedules: ScheduleSpec[] = [
    ...createJobSchedules({
      config,
      jobs: dataPostgres.mediaJobs,
      announcers: { photo: media.announcer, document: documents.announcer },
    }),
    ...media.schedules,
  ];

  health.addCheck('redis', redis.check);
  health.addCheck('rabbitmq', messaging.check);
  health.addCheck('chroma', knowledge.check);
  health.addCheck('data-postgres', async () => {
    await dataPostgres.http.request({ method: 'GET', path: '/health/live', expect: [200] });
  });
  health.addCheck('data-mongo', async () => {
    const response = await fetch(new URL('/health/live', config.dataMongoUrl), {
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`data-mongo answered ${response.status}`);
  });

  const scheduleMetrics = createScheduleMetrics(metrics.registry);
  let running: ScheduleHandle[] = [];

  return {
    config,
    runtime,
    redis,
    dataPostgres,
    dataMongo,
    messaging,
    locks,
    consumers,
    schedules,
    async start() {
      await messaging.start();
      for (const consumer of consumers) {
        await consumer.start();
        logger.info({ consumer: consumer.name }, 'consumer started');
      }
      if (config.schedules.enabled) {
        running = schedules.map((spec) =>
          startSchedule(spec, {
            locks,
            namespace: config.schedules.lockNamespace,
            logger,
            metrics: scheduleMetrics,
          }),
        );
      }
    },
    runningSchedules: () => running,
    closers: [
      {
        name: 'schedules',
        close: async () => void (await Promise.all(running.map((handle) => handle.stop()))),
      },
      // Drains the consumers: in-flight handlers finish (an analytics batch is written) or go back.
      { name: 'rabbitmq', close: () => messaging.close() },
      { name: 'analytics', close: () => analytics.recordEvent.flush() },
      { name: 'knowledge', close: () => knowledge.close() },
      { name: 'data-postgres', close: () => dataPostgres.close() },
      { name: 'data-mongo', close: () => dataMongo.close() },
      { name: 'redis', close: () => redis.close() },
    ],
  };
}
