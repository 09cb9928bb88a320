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
  createBusinessRuntime,
  createLock,
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
  const retryDelaysMs = config.retryDelaysMs;
  const base = createBusinessRuntime({
    service: 'worker',
    version: readPackageVersion(import.meta.url),
    config,
    clients: { dataPostgres: createDataPostgresClient, dataMongo: createDataMongoClient },
    events: EVENT_SCHEMAS,
    // The worker's own queues with the configured retry delays, so declarations and consumers agree.
    queues: CONSUMER_QUEUE_LIST.map((queue) =>
      queue.consumer === 'worker' && retryDelaysMs ? { ...queue, retryDelaysMs } : queue,
    ),
    drainTimeoutMs: Math.max(1000, config.shutdownTimeoutMs - 2000),
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    ...(options.queuePrefix ? { queuePrefix: options.queuePrefix } : {}),
    ...(options.onFatal ? { onFatal: options.onFatal } : {}),
  });
  const { runtime, redis, dataPostgres, dataMongo, messaging } = base;
  const { logger, metrics, health } = runtime;
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

  health.addCheck('chroma', knowledge.check);

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
    // The broker's closer drains the consumers: in-flight handlers finish (an analytics batch is
    // written) or go back; then the batch is flushed, then the stores close.
    closers: base.closers({
      first: [
        {
          name: 'schedules',
          close: async () => void (await Promise.all(running.map((handle) => handle.stop()))),
        },
      ],
      afterBroker: [
        { name: 'analytics', close: () => analytics.recordEvent.flush() },
        { name: 'knowledge', close: () => knowledge.close() },
      ],
    }),
  };
}
