import {
  createServiceRuntime,
  isDomainError,
  readPackageVersion,
  type ServiceRuntime,
} from '@flotilla/platform';
import type { DataMongoConfig } from './config.js';
import { createMongo, type Mongo } from './db/mongo.js';
import { createMongoTimer } from './db/mongo-timer.js';
import { createDataMongoMetrics, type DataMongoMetrics } from './metrics.js';
import { type AnalyticsQueries, createAnalyticsQueries } from './modules/analytics/aggregations.js';
import { EVENTS_COLLECTION, type EventDocument } from './modules/analytics/event-document.js';
import { createEventsRepository, type EventsRepository } from './modules/analytics/events.repository.js';
import {
  createRetentionSweeper,
  ensureRetentionIndex,
  type RetentionMode,
  type RetentionSweeper,
} from './modules/analytics/retention.js';
import { type BlobStore, createBlobStore } from './modules/blobs/blobs.store.js';

/** Everything data-mongo needs, built once by {@link createDeps}: the composition root. */
export interface DataMongoDeps {
  config: DataMongoConfig;
  runtime: ServiceRuntime;
  metrics: DataMongoMetrics;
  mongo: Mongo;
  events: EventsRepository;
  analytics: AnalyticsQueries;
  blobs: BlobStore;
  /** How expired analytics events are removed on this server. */
  retention: { mode: RetentionMode; sweeper: RetentionSweeper };
  /** Closed in this order after the HTTP server has drained. */
  closers: Array<{ name: string; close: () => Promise<void> | void }>;
}

const DAY_MS = 86_400_000;

/**
 * Wires data-mongo's dependencies from its configuration and prepares the database: creates the indexes
 * (idempotently) and sets up analytics retention. Rejects when MongoDB cannot be reached within
 * MONGO_TIMEOUT_MS, so a service without its database never starts.
 */
export async function createDeps(
  config: DataMongoConfig,
  options: { logDestination?: NodeJS.WritableStream } = {},
): Promise<DataMongoDeps> {
  const runtime = createServiceRuntime({
    service: 'data-mongo',
    version: readPackageVersion(import.meta.url),
    logLevel: config.logLevel,
    logPretty: config.logPretty,
    ...options,
  });
  const { logger } = runtime;
  const metrics = createDataMongoMetrics(runtime.metrics.registry);
  const timeMongo = createMongoTimer(metrics.mongoDuration, config.mongoTimeoutMs);
  const mongo = createMongo({
    url: config.mongoUrl,
    database: config.mongoDatabase,
    poolSize: config.mongoPoolSize,
    timeoutMs: config.mongoTimeoutMs,
    appName: 'flotilla-data-mongo',
  });
  const events = createEventsRepository(mongo.db, timeMongo);
  const blobs = createBlobStore(mongo.db, timeMongo, logger);
  const retentionMs = config.analyticsRetentionDays * DAY_MS;
  const sweeper = createRetentionSweeper({
    deleteOlderThan: (cutoff) => events.deleteOlderThan(cutoff),
    retentionMs,
    intervalMs: config.analyticsSweepIntervalMs,
    logger,
    onSwept: (deleted) => metrics.retentionDeleted.inc(deleted),
  });

  let mode: RetentionMode;
  try {
    mode = await timeMongo('indexes.ensure', async () => {
      await events.ensureIndexes();
      await blobs.ensureIndexes();
      const collection = mongo.db.collection<EventDocument>(EVENTS_COLLECTION);
      return ensureRetentionIndex(mongo.db, collection, retentionMs / 1000);
    });
  } catch (error) {
    await mongo.close();
    // At start-up the driver's own error says more (which server, why) than STORAGE.UNAVAILABLE.
    throw isDomainError(error) && error.cause !== undefined ? error.cause : error;
  }
  logger.info(
    { retention_days: config.analyticsRetentionDays, retention: mode },
    mode === 'ttl'
      ? 'analytics retention by TTL index'
      : 'analytics retention by periodic sweep (the server has no TTL indexes)',
  );

  const closers: DataMongoDeps['closers'] = [];
  if (mode === 'sweep') {
    sweeper.start();
    closers.push({ name: 'retention-sweep', close: () => sweeper.stop() });
  }
  closers.push({ name: 'mongo', close: () => mongo.close() });
  runtime.health.addCheck('mongo', () => timeMongo('ping', () => mongo.ping()));

  return {
    config,
    runtime,
    metrics,
    mongo,
    events,
    analytics: createAnalyticsQueries(mongo.db, timeMongo),
    blobs,
    retention: { mode, sweeper },
    closers,
  };
}
