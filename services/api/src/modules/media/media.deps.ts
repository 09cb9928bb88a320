import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';
import { createRedisUploadIdempotency, createUploadPhoto, type IntakeDeps } from '@flotilla/intake';
import type { Messaging, RedisConnection, ServiceRuntime } from '@flotilla/platform';
import type { ApiConfig } from '../../config.js';
import type { UploadGate } from '../../http/upload-gate.js';
import { createDeleteMedia } from './application/delete-media.use-case.js';
import { createGetMedia } from './application/get-media.use-case.js';
import { createListMedia } from './application/list-media.use-case.js';
import type { MediaDeps } from './application/media.ports.js';
import { createOpenMediaFile } from './application/open-media-file.use-case.js';
import { createWatchMediaJob } from './application/watch-media-job.use-case.js';

/** What the media context is built from (parts of the composition root). */
export interface MediaWiring {
  config: ApiConfig;
  runtime: ServiceRuntime;
  redis: RedisConnection;
  dataPostgres: DataPostgresClient;
  dataMongo: DataMongoClient;
  messaging: Messaging;
  /** Bounds the uploads in flight (shared with document uploads). */
  uploadGate: UploadGate;
}

/** The media context wired: its ports' adapters and its use cases. */
export function createMedia(wiring: MediaWiring) {
  const { config, runtime, dataPostgres, dataMongo, messaging } = wiring;
  const ports: MediaDeps = {
    jobs: dataPostgres.mediaJobs,
    blobs: dataMongo.blobs,
    events: messaging,
    logger: runtime.logger,
  };
  // What every upload needs (photos here, documents in the knowledge context), from `@flotilla/intake`.
  const intake: IntakeDeps = {
    ...ports,
    idempotency: createRedisUploadIdempotency(wiring.redis.client, {
      ttlSeconds: config.idempotencyTtlSeconds,
      pendingTtlSeconds: config.idempotencyPendingTtlSeconds,
    }),
  };
  const uploadPhoto = createUploadPhoto({ ...intake, maxBytes: config.mediaMaxUploadBytes });
  return {
    ports,
    intake,
    maxUploadBytes: config.mediaMaxUploadBytes,
    uploadGate: wiring.uploadGate,
    uploadMedia: (input: Omit<Parameters<typeof uploadPhoto>[0], 'origin'>) =>
      uploadPhoto({ ...input, origin: { source: 'api' } }),
    listMedia: createListMedia(ports),
    getMedia: createGetMedia(ports),
    deleteMedia: createDeleteMedia(ports),
    openMediaFile: createOpenMediaFile({ jobs: ports.jobs, blobs: dataMongo.blobs }),
    watchMediaJob: createWatchMediaJob(ports, {
      pollIntervalMs: config.mediaEventsPollMs,
      heartbeatMs: config.mediaEventsHeartbeatSeconds * 1000,
      maxDurationMs: config.mediaEventsMaxSeconds * 1000,
    }),
  };
}

/** The media context. */
export type Media = ReturnType<typeof createMedia>;
