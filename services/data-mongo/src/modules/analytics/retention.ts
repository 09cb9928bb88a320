import type { Logger } from '@flotilla/platform';
import type { Collection, Db } from 'mongodb';
import { listIndexesByName } from '../../db/indexes.js';
import { isUnsupportedFeature } from '../../db/server-errors.js';
import type { EventDocument } from './event-document.js';

/** Name of the index on `occurred_at` that carries the retention (a TTL index where the server has them). */
export const RETENTION_INDEX = 'occurred_at_retention';

/** How old events are removed: by the server (TTL index) or by data-mongo's own periodic sweep. */
export type RetentionMode = 'ttl' | 'sweep';

/**
 * Ensures the retention index on `occurred_at` with `expireAfterSeconds`, updating the period of an
 * existing one with `collMod`. FerretDB v1 implements neither TTL indexes nor `collMod`: there a plain index
 * is created and `sweep` is returned, so the caller deletes old events itself (see {@link createRetentionSweeper}).
 */
export async function ensureRetentionIndex(
  db: Db,
  events: Collection<EventDocument>,
  retentionSeconds: number,
): Promise<RetentionMode> {
  const existing = (await listIndexesByName(events)).get(RETENTION_INDEX);
  if (existing) {
    if (existing.expireAfterSeconds === retentionSeconds) return 'ttl';
    try {
      await db.command({
        collMod: events.collectionName,
        index: { name: RETENTION_INDEX, expireAfterSeconds: retentionSeconds },
      });
      return 'ttl';
    } catch (error) {
      if (isUnsupportedFeature(error)) return 'sweep';
      throw error;
    }
  }
  try {
    await events.createIndex(
      { occurred_at: 1 },
      { name: RETENTION_INDEX, expireAfterSeconds: retentionSeconds },
    );
    return 'ttl';
  } catch (error) {
    if (!isUnsupportedFeature(error)) throw error;
  }
  await events.createIndex({ occurred_at: 1 }, { name: RETENTION_INDEX });
  return 'sweep';
}

/** Options of {@link createRetentionSweeper}. */
export interface RetentionSweeperOptions {
  /** Deletes events that occurred before the cutoff; resolves with how many. */
  deleteOlderThan: (cutoff: Date) => Promise<number>;
  retentionMs: number;
  intervalMs: number;
  logger: Logger;
  /** Called with the number deleted by each sweep (metrics). */
  onSwept?: (deleted: number) => void;
  now?: () => number;
}

/** The periodic deletion of expired events, for servers without TTL indexes. */
export interface RetentionSweeper {
  /** Sweeps now, then every interval. */
  start(): void;
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
  /** One sweep; resolves with the number of events deleted. Never runs two at once. */
  sweep(): Promise<number>;
}

/**
 * Creates the retention sweeper. Several replicas may sweep at once: deleting what is already gone is a
 * no-op, so no lock is needed. A failed sweep is logged and retried at the next interval.
 */
export function createRetentionSweeper(options: RetentionSweeperOptions): RetentionSweeper {
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function sweepOnce(): Promise<number> {
    const cutoff = new Date(now() - options.retentionMs);
    const deleted = await options.deleteOlderThan(cutoff);
    options.onSwept?.(deleted);
    if (deleted > 0)
      options.logger.info({ deleted, cutoff: cutoff.toISOString() }, 'expired analytics events deleted');
    return deleted;
  }

  function sweep(): Promise<number> {
    running ??= sweepOnce().finally(() => {
      running = undefined;
    });
    return running;
  }

  function sweepInBackground(): void {
    sweep().catch((error: unknown) =>
      options.logger.warn({ err: error }, 'analytics retention sweep failed'),
    );
  }

  return {
    start() {
      if (timer) return;
      sweepInBackground();
      timer = setInterval(sweepInBackground, options.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
    sweep,
  };
}
