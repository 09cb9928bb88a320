import { createSemaphore, defineErrors } from '@flotilla/platform';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Errors of the upload gate. */
export const uploadGateErrors = defineErrors({
  BUSY: {
    code: 'UPLOAD.BUSY',
    kind: 'unavailable',
    title: 'Too many uploads are in progress; retry shortly',
  },
});

/** Bounds the uploads this process streams into storage at once. */
export interface UploadGate {
  /**
   * Runs an upload holding a place; when every place is taken, fails at once with 503 `UPLOAD.BUSY`
   * and `Retry-After`, before any of the body is read (it is then drained, not reset).
   */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Uploads in progress right now. */
  readonly inFlight: number;
}

/** Options of {@link createUploadGate}. */
export interface UploadGateOptions {
  maxInFlight: number;
  retryAfterSeconds: number;
  registry: Registry;
}

/**
 * The gate every upload route (photos and documents alike) passes: a bounded number of uploads stream
 * into data-mongo at once, and the next one is refused at once rather than queued behind a saturated
 * store until some internal timeout. Counted in `api_uploads_in_flight` and
 * `api_uploads_rejected_total`.
 */
export function createUploadGate(options: UploadGateOptions): UploadGate {
  const rejected = new Counter({
    name: 'api_uploads_rejected_total',
    help: 'Uploads refused at once with 503 UPLOAD.BUSY because every upload place was taken.',
    registers: [options.registry],
  });
  const semaphore = createSemaphore(options.maxInFlight, {
    maxWaiting: 0,
    onFull: () => {
      rejected.inc();
      return uploadGateErrors.BUSY({
        detail: `${options.maxInFlight} uploads are in progress on this server; retry after ${options.retryAfterSeconds} s.`,
        data: { retry_after_seconds: options.retryAfterSeconds },
      });
    },
  });
  new Gauge({
    name: 'api_uploads_in_flight',
    help: 'Uploads being streamed into storage right now (photos and documents).',
    registers: [options.registry],
    collect() {
      this.set(semaphore.active);
    },
  });
  return {
    run: (work) => semaphore.run(work),
    get inFlight() {
      return semaphore.active;
    },
  };
}
