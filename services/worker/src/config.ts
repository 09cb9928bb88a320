import {
  businessServiceEnv,
  ConfigError,
  type ConfigIssue,
  commonEnv,
  loadConfig,
  toBusinessServiceConfig,
  toCommonConfig,
} from '@flotilla/platform';
import { Type } from 'typebox';
import { documentsEnv, toDocumentsConfig } from './modules/documents/documents.config.js';

const MIB = 1024 * 1024;

const Int = (minimum: number, maximum: number, defaultValue: number, description: string) =>
  Type.Integer({ minimum, maximum, default: defaultValue, description });

/** Every environment variable worker reads, with a default only where one is safe. */
export const WorkerEnv = Type.Object({
  ...commonEnv(8004),
  ...businessServiceEnv(),
  ...documentsEnv(),
  MEDIA_MAX_EDGE: Int(16, 16_384, 2048, 'Longest edge of a processed photo in pixels (never enlarged).'),
  MEDIA_OUTPUT_FORMAT: Type.Union([Type.Literal('jpeg'), Type.Literal('webp')], {
    default: 'jpeg',
    description: 'Format processed photos and thumbnails are re-encoded to.',
  }),
  MEDIA_QUALITY: Int(1, 100, 80, 'Encoder quality of processed photos (1-100).'),
  MEDIA_THUMBNAIL_EDGE: Int(16, 2048, 320, 'Longest edge of a thumbnail in pixels.'),
  MEDIA_MAX_INPUT_PIXELS: Int(
    1,
    1_000_000_000,
    50_000_000,
    'Largest photo accepted, in pixels (width x height); larger ones fail with MEDIA.TOO_MANY_PIXELS.',
  ),
  MEDIA_MAX_INPUT_BYTES: Int(
    1,
    1024 * MIB,
    64 * MIB,
    'Largest original downloaded for processing, in bytes; larger ones fail with MEDIA.TOO_LARGE.',
  ),
  MEDIA_CONCURRENCY: Int(1, 64, 2, 'Photos transformed at once by this process (a semaphore around sharp).'),
  MEDIA_SHARP_THREADS: Int(
    0,
    64,
    0,
    "libvips threads per photo; 0 = the machine's cores divided by MEDIA_CONCURRENCY (at least 1).",
  ),
  MEDIA_PREFETCH: Int(1, 1000, 4, 'Unacknowledged `media.uploaded` messages held at once by this process.'),
  MEDIA_JOB_LEASE_SECONDS: Int(
    1,
    3600,
    60,
    'Lease taken on a job while processing it (renewed with each progress update).',
  ),
  MEDIA_STALE_QUEUED_SECONDS: Int(
    1,
    7 * 24 * 3600,
    300,
    'A job (photo or document) `queued` for longer than this is considered lost and its `media.uploaded` or `document.uploaded` is published again.',
  ),
  MEDIA_RETENTION_DAYS: Int(
    1,
    3650,
    90,
    'Finished media jobs older than this are deleted together with their files.',
  ),
  MESSAGE_RETRY_DELAYS_MS: Type.String({
    default: '',
    pattern: '^(\\d{1,9}(,\\d{1,9})*)?$',
    description:
      "Delays before each retry of the worker's consumers, comma-separated ms; empty = the system's catalogue (1 s, 10 s, 60 s).",
  }),
  ANALYTICS_BATCH_SIZE: Int(1, 500, 100, 'Events recorded in one analytics ingest call at most.'),
  ANALYTICS_BATCH_MAX_WAIT_MS: Int(
    1,
    60_000,
    500,
    'Longest wait for a batch of analytics events to fill before it is written.',
  ),
  ANALYTICS_PREFETCH: Int(
    1,
    5000,
    200,
    'Unacknowledged analytics messages held at once; at least ANALYTICS_BATCH_SIZE.',
  ),
  SCHEDULES_ENABLED: Type.Boolean({
    default: true,
    description:
      'Run the periodic schedules (lease expiry, lost publishes, retention, orphan files) in this process.',
  }),
  SCHEDULE_EXPIRED_LEASES_INTERVAL_MS: Int(
    100,
    24 * 3600 * 1000,
    30_000,
    'Interval of the schedule that re-queues jobs whose lease expired.',
  ),
  SCHEDULE_STALE_QUEUED_INTERVAL_MS: Int(
    100,
    24 * 3600 * 1000,
    60_000,
    'Interval of the schedule that re-publishes jobs left `queued` (lost publishes).',
  ),
  SCHEDULE_RETENTION_INTERVAL_MS: Int(
    100,
    7 * 24 * 3600 * 1000,
    3_600_000,
    'Interval of the retention clean-up of old media jobs and their files.',
  ),
  SCHEDULE_ORPHAN_BLOBS_INTERVAL_MS: Int(
    100,
    7 * 24 * 3600 * 1000,
    600_000,
    'Interval of the sweep that deletes stored files no job references (orphans left by crashes).',
  ),
  ORPHAN_BLOBS_GRACE_SECONDS: Int(
    1,
    30 * 24 * 3600,
    3600,
    'Files younger than this are never swept: longer than any upload takes to get its job written.',
  ),
  ORPHAN_BLOBS_SCAN_LIMIT: Int(
    1,
    1_000_000,
    5000,
    'Files the orphan-blob sweep examines per run at most (the next run goes on from there).',
  ),
  SCHEDULE_BATCH_LIMIT: Int(1, 500, 100, 'Jobs handled by one run of a schedule at most.'),
  SCHEDULE_LOCK_NAMESPACE: Type.String({
    default: 'worker',
    pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
    description: 'Namespace of the Redis locks of the schedules (replicas sharing one must share it).',
  }),
});

/** The parsed configuration of worker. */
export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

/** Parses the environment once; throws a ConfigError listing every missing or invalid variable. */
export function loadWorkerConfig(source?: Record<string, string | undefined>) {
  const env = loadConfig(WorkerEnv, { service: 'worker', ...(source ? { env: source } : {}) });
  const issues: ConfigIssue[] = [];
  if (env.ANALYTICS_PREFETCH < env.ANALYTICS_BATCH_SIZE) {
    issues.push({
      variable: 'ANALYTICS_PREFETCH',
      message: `must be at least ANALYTICS_BATCH_SIZE (${env.ANALYTICS_BATCH_SIZE}), or a batch never fills`,
    });
  }
  const retryDelaysMs =
    env.MESSAGE_RETRY_DELAYS_MS === '' ? undefined : parseDelays(env.MESSAGE_RETRY_DELAYS_MS);
  if (
    retryDelaysMs &&
    (retryDelaysMs.some((delay) => delay <= 0) || new Set(retryDelaysMs).size !== retryDelaysMs.length)
  ) {
    issues.push({ variable: 'MESSAGE_RETRY_DELAYS_MS', message: 'delays must be positive and distinct' });
  }
  if (issues.length > 0) throw new ConfigError('worker', issues);
  return {
    ...toCommonConfig(env),
    ...toBusinessServiceConfig(env),
    media: {
      maxEdge: env.MEDIA_MAX_EDGE,
      outputFormat: env.MEDIA_OUTPUT_FORMAT,
      quality: env.MEDIA_QUALITY,
      thumbnailEdge: env.MEDIA_THUMBNAIL_EDGE,
      maxInputPixels: env.MEDIA_MAX_INPUT_PIXELS,
      maxInputBytes: env.MEDIA_MAX_INPUT_BYTES,
      concurrency: env.MEDIA_CONCURRENCY,
      sharpThreads: env.MEDIA_SHARP_THREADS,
      prefetch: env.MEDIA_PREFETCH,
      leaseSeconds: env.MEDIA_JOB_LEASE_SECONDS,
      staleQueuedSeconds: env.MEDIA_STALE_QUEUED_SECONDS,
      retentionDays: env.MEDIA_RETENTION_DAYS,
    },
    documents: toDocumentsConfig(env),
    /** Overrides the catalogue's retry delays of the worker's queues (tests use short ones). */
    retryDelaysMs,
    analytics: {
      batchSize: env.ANALYTICS_BATCH_SIZE,
      maxWaitMs: env.ANALYTICS_BATCH_MAX_WAIT_MS,
      prefetch: env.ANALYTICS_PREFETCH,
    },
    schedules: {
      enabled: env.SCHEDULES_ENABLED,
      expiredLeasesIntervalMs: env.SCHEDULE_EXPIRED_LEASES_INTERVAL_MS,
      staleQueuedIntervalMs: env.SCHEDULE_STALE_QUEUED_INTERVAL_MS,
      retentionIntervalMs: env.SCHEDULE_RETENTION_INTERVAL_MS,
      orphanBlobs: {
        intervalMs: env.SCHEDULE_ORPHAN_BLOBS_INTERVAL_MS,
        graceSeconds: env.ORPHAN_BLOBS_GRACE_SECONDS,
        scanLimit: env.ORPHAN_BLOBS_SCAN_LIMIT,
      },
      batchLimit: env.SCHEDULE_BATCH_LIMIT,
      lockNamespace: env.SCHEDULE_LOCK_NAMESPACE,
    },
  };
}

function parseDelays(text: string): number[] {
  return text.split(',').map((part) => Number(part));
}
