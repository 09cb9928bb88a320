import { setTimeout as sleep } from 'node:timers/promises';
import type { MediaJob } from '@flotilla/contracts';
import type { Logger } from '@flotilla/platform';
import { createGetMedia } from './get-media.use-case.js';
import type { MediaJobStore } from './media.ports.js';

/** How a watch polls and how long it may last. */
export interface WatchMediaJobOptions {
  /** Interval between two reads of the job. */
  pollIntervalMs: number;
  /** Longest silence before a heartbeat (keeps proxies from closing an idle stream). */
  heartbeatMs: number;
  /** Bounded lifetime of one watch; the client reconnects if it still cares. */
  maxDurationMs: number;
  /** Consecutive failed reads after which the watch gives up. */
  maxFailedReads?: number;
}

/** Why a watch ended. */
export type WatchEndReason = 'terminal' | 'timeout' | 'deleted' | 'unavailable';

/** What a watch reports: the job whenever it changed, heartbeats, and one final `end`. */
export type WatchEvent =
  | { type: 'job'; job: MediaJob }
  | { type: 'heartbeat' }
  | { type: 'end'; reason: WatchEndReason; job?: MediaJob };

/** Jobs in these states change no more. */
export function isTerminal(job: MediaJob): boolean {
  return job.status === 'succeeded' || job.status === 'failed';
}

function fingerprint(job: MediaJob): string {
  return `${job.status}|${job.progress}|${job.attempts}|${job.updated_at}`;
}

/** Time and waiting, replaceable in unit tests. */
export interface WatchClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const realClock: WatchClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
};

/**
 * Follows a user's job until it ends, by reading it from data-postgres every `pollIntervalMs`: the job row
 * is the source of truth (the worker writes every transition there before it publishes an event), and
 * polling it needs no per-connection queue nor any coupling to the broker. Yields the job at the start and
 * on every change, heartbeats in between, and a final `end` when the job is terminal, was deleted, the
 * lifetime is over or data-postgres stayed unreachable. Stops at once when `signal` aborts. A job that is
 * not the user's is not found before anything is yielded.
 */
export function createWatchMediaJob(
  deps: { jobs: Pick<MediaJobStore, 'get'>; logger: Logger; clock?: WatchClock },
  options: WatchMediaJobOptions,
) {
  const getMedia = createGetMedia(deps);
  const clock = deps.clock ?? realClock;
  const maxFailedReads = options.maxFailedReads ?? 5;

  return async function watchMediaJob(input: {
    ownerId: string;
    jobId: string;
    signal: AbortSignal;
  }): Promise<AsyncGenerator<WatchEvent>> {
    const first = await getMedia(input);
    const { signal } = input;

    async function* events(): AsyncGenerator<WatchEvent> {
      const started = clock.now();
      let last = first;
      let lastSentAt = started;
      let failedReads = 0;
      yield { type: 'job', job: first };
      if (isTerminal(first)) {
        yield { type: 'end', reason: 'terminal', job: first };
        return;
      }
      while (!signal.aborted) {
        const remaining = started + options.maxDurationMs - clock.now();
        if (remaining <= 0) {
          yield { type: 'end', reason: 'timeout', job: last };
          return;
        }
        await clock.sleep(Math.min(options.pollIntervalMs, remaining), signal);
        if (signal.aborted) return;
        let job: MediaJob | null;
        try {
          job = await deps.jobs.get(input.jobId);
          failedReads = 0;
        } catch (error) {
          failedReads += 1;
          deps.logger.warn(
            { err: error, job_id: input.jobId, failed_reads: failedReads },
            'job watch read failed',
          );
          if (failedReads >= maxFailedReads) {
            yield { type: 'end', reason: 'unavailable', job: last };
            return;
          }
          continue;
        }
        if (!job) {
          yield { type: 'end', reason: 'deleted' };
          return;
        }
        if (fingerprint(job) !== fingerprint(last)) {
          last = job;
          lastSentAt = clock.now();
          yield { type: 'job', job };
          if (isTerminal(job)) {
            yield { type: 'end', reason: 'terminal', job };
            return;
          }
        } else if (clock.now() - lastSentAt >= options.heartbeatMs) {
          lastSentAt = clock.now();
          yield { type: 'heartbeat' };
        }
      }
    }

    return events();
  };
}
