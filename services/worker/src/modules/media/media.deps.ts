import { hostname } from 'node:os';
import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';
import { createSemaphore, type Messaging, newId, type ServiceRuntime } from '@flotilla/platform';
import type { Redis } from 'ioredis';
import type { WorkerConfig } from '../../config.js';
import type { JobAnnouncer } from '../../schedules/job-announcer.js';
import type { ScheduleSpec } from '../../schedules/schedule.runner.js';
import type { ConsumerStarter } from '../../shared/consumer-starter.js';
import { createBlobDiscarder } from './adapters/blob-discarder.redis.js';
import { createMediaMetrics } from './adapters/media.metrics.js';
import { createMediaUploadedConsumer, MEDIA_QUEUE } from './adapters/media-uploaded.consumer.js';
import {
  createBlobInventory,
  createBlobReferenceCheck,
  createOrphanBlobReporter,
  createSweepPosition,
} from './adapters/orphan-blob-sweep.adapters.js';
import { readBounded } from './adapters/read-bounded.js';
import { configureSharp, createSharpPhotoTransformer } from './adapters/sharp-photo.transformer.js';
import { createCleanUpRetention } from './application/clean-up-retention.use-case.js';
import { createPhotoJobEvents } from './application/photo-job-events.js';
import { createProcessPhoto } from './application/process-photo.use-case.js';
import { createSweepOrphanBlobs } from './application/sweep-orphan-blobs.use-case.js';

/** What the media module adds to the worker: its consumer, its schedule and how to restart a photo job. */
export interface MediaModule {
  consumers: ConsumerStarter[];
  schedules: ScheduleSpec[];
  announcer: JobAnnouncer;
}

/**
 * Wires photo processing: sharp, the use cases, the `media.uploaded` consumer and the schedules of its
 * files (pending deletions, orphan files, retention).
 */
export function createMediaModule(deps: {
  config: WorkerConfig;
  runtime: ServiceRuntime;
  dataPostgres: DataPostgresClient;
  dataMongo: DataMongoClient;
  messaging: Messaging;
  redis: Redis;
  retryDelaysMs: readonly number[] | undefined;
}): MediaModule {
  const { config, runtime, messaging } = deps;
  const { media } = config;
  const threads = configureSharp(media.sharpThreads, media.concurrency);
  runtime.logger.debug({ sharp_threads: threads, concurrency: media.concurrency }, 'sharp configured');
  const semaphore = createSemaphore(media.concurrency);
  const events = createPhotoJobEvents(messaging);
  const jobs = deps.dataPostgres.mediaJobs;
  const discarder = createBlobDiscarder({
    redis: deps.redis,
    blobs: deps.dataMongo.blobs,
    logger: runtime.logger,
  });
  const processPhoto = createProcessPhoto({
    jobs,
    blobs: deps.dataMongo.blobs,
    events,
    transformer: createSharpPhotoTransformer({ ...media, semaphore }),
    readBounded,
    discardBlobs: discarder.discard,
    instanceId: `worker-${hostname().slice(0, 40)}-${newId().slice(-12)}`,
    leaseSeconds: media.leaseSeconds,
    maxInputBytes: media.maxInputBytes,
  });
  const handler = createMediaUploadedConsumer({
    processPhoto,
    metrics: createMediaMetrics(runtime.metrics.registry, semaphore),
    logger: runtime.logger,
  });
  const limit = config.schedules.batchLimit;
  const { orphanBlobs } = config.schedules;
  const orphanReporter = createOrphanBlobReporter(runtime.metrics.registry, runtime.logger);
  const sweepOrphanBlobs = createSweepOrphanBlobs({
    inventory: createBlobInventory(deps.dataMongo.blobs),
    references: createBlobReferenceCheck(jobs),
    position: createSweepPosition(deps.redis, config.schedules.lockNamespace),
    graceSeconds: orphanBlobs.graceSeconds,
    scanLimit: orphanBlobs.scanLimit,
    onDeleted: orphanReporter.deleted,
  });
  return {
    consumers: [
      {
        name: 'media',
        start: () =>
          messaging.consume({
            ...MEDIA_QUEUE,
            retryDelaysMs: deps.retryDelaysMs ?? MEDIA_QUEUE.retryDelaysMs,
            prefetch: media.prefetch,
            handler,
          }),
      },
    ],
    announcer: {
      restart: async (job) => void (await events.uploaded(job)),
      exhausted: async (job, error) => void (await events.failed(job, error, undefined, {})),
    },
    schedules: [
      {
        name: 'blob-cleanup',
        intervalMs: config.schedules.expiredLeasesIntervalMs,
        run: () => discarder.sweep(limit),
      },
      {
        name: 'orphan-blobs',
        intervalMs: orphanBlobs.intervalMs,
        run: async () => {
          const report = await sweepOrphanBlobs();
          orphanReporter.scanned(report.scanned);
          return report.deleted;
        },
      },
      {
        name: 'retention',
        intervalMs: config.schedules.retentionIntervalMs,
        run: createCleanUpRetention({
          jobs,
          blobs: deps.dataMongo.blobs,
          olderThanSeconds: media.retentionDays * 24 * 3600,
          limit,
        }),
      },
    ],
  };
}
