import type { Semaphore } from '@flotilla/platform';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ProcessPhotoResult } from '../application/process-photo.use-case.js';

const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Metrics of media processing: outcomes by kind/status/code, durations, bytes saved. No ids as labels. */
export function createMediaMetrics(registry: Registry, semaphore?: Semaphore) {
  const outcomes = new Counter({
    name: 'worker_media_jobs_total',
    help: 'media.uploaded events handled by the worker, by job kind, outcome status and error code.',
    labelNames: ['kind', 'status', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'worker_media_processing_duration_seconds',
    help: 'Time from claim to the final job update, by job kind and outcome status.',
    labelNames: ['kind', 'status'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const bytesSaved = new Counter({
    name: 'worker_media_bytes_saved_total',
    help: 'Bytes saved by re-encoding (original minus result, when positive), by job kind.',
    labelNames: ['kind'],
    registers: [registry],
  });
  if (semaphore) {
    new Gauge({
      name: 'worker_media_transforms_in_flight',
      help: 'Photos being transformed by sharp right now.',
      registers: [registry],
      collect() {
        this.set(semaphore.active);
      },
    });
  }

  return {
    record(kind: string, result: ProcessPhotoResult): void {
      const status = result.status.replace('-', '_');
      const code =
        result.status === 'failed' || result.status === 'gave-up'
          ? result.code
          : result.status === 'skipped'
            ? result.reason
            : '';
      outcomes.inc({ kind, status, code });
      if (result.status === 'succeeded' || result.status === 'failed') {
        duration.observe({ kind, status }, result.durationMs / 1000);
      }
      if (result.status === 'succeeded' && result.bytesSaved > 0) bytesSaved.inc({ kind }, result.bytesSaved);
    },
  };
}

/** The recorder of {@link createMediaMetrics}. */
export type MediaMetrics = ReturnType<typeof createMediaMetrics>;
