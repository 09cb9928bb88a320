import { hostname } from 'node:os';
import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';
import { type Messaging, newId, type ServiceRuntime } from '@flotilla/platform';
import type { WorkerConfig } from '../../config.js';
import type { ScheduleSpec } from '../../schedules/schedule.runner.js';
import type { ConsumerStarter } from '../../shared/consumer-starter.js';
import { createSemaphore } from '../../shared/semaphore.js';
import { createMediaMetrics } from './adapters/media.metrics.js';
import { createMediaUploadedConsumer, MEDIA_QUEUE } from './adapters/media-uploaded.consumer.js';
import { readBounded } from './adapters/read-bounded.js';
import { configureSharp, createSharpPhotoTransformer } from './adapters/sharp-photo.transformer.js';
import { createCleanUpRetention } from './application/clean-up-retention.use-case.js';
import { createPhotoJobEvents } from './application/photo-job-events.js';
import { createProcessPhoto } from './application/process-photo.use-case.js';
import { createRepublishStaleQueued } from './application/republish-stale-queued.use-case.js';
import { createRequeueExpiredLeases } from './application/requeue-expired-leases.use-case.js';

/** What the media module adds to the worker: its consumer and its schedules. */
export interface MediaModule {
  consumers: ConsumerStarter[];
  schedules: ScheduleSpec[];
}

/** Wires photo processing: sharp, the use cases, the `media.uploaded` consumer and the job schedules. */
export function createMediaModule(deps: {
  config: WorkerConfig;
  runtime: ServiceRuntime;
  dataPostgres: DataPostgresClient;
  dataMongo: DataMongoClient;
  messaging: Messaging;
  retryDelaysMs: readonly number[] | undefined;
}): MediaModule {
  const { config, runtime, messaging } = deps;
  const { media } = config;
  const threads = configureSharp(media.sharpThreads, media.concurrency);
  runtime.logger.debug({ sharp_threads: threads, concurrency: media.concurrency }, 'sharp configured');
  const semaphore = createSemaphore(media.concurrency);
  const events = createPhotoJobEvents(messaging);
  const jobs = deps.dataPostgres.mediaJobs;
  const processPhoto = createProcessPhoto({
    jobs,
    blobs: deps.dataMongo.blobs,
    events,
    transformer: createSharpPhotoTransformer({ ...media, semaphore }),
    readBounded,
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
    schedules: [
      {
        name: 'expired-leases',
        intervalMs: config.schedules.expiredLeasesIntervalMs,
        run: createRequeueExpiredLeases({ jobs, events, limit }),
      },
      {
        name: 'stale-queued',
        intervalMs: config.schedules.staleQueuedIntervalMs,
        run: createRepublishStaleQueued({ jobs, events, olderThanSeconds: media.staleQueuedSeconds, limit }),
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
