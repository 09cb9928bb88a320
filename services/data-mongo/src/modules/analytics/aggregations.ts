import {
  ANALYTICS_MEDIA_SUCCEEDED,
  type AnalyticsKindSavings,
  type AnalyticsKindTiming,
} from '@flotilla/contracts';
import type { Db, Filter } from 'mongodb';
import type { MongoTimer } from '../../db/mongo-timer.js';
import type { ActivityRow } from './activity-summary.js';
import { EVENTS_COLLECTION, type EventDocument } from './event-document.js';
import { nearestRankIndex, REPORTED_PERCENTILES } from './percentiles.js';
import { type TimeRange, toOccurredAtFilter } from './time-range.js';

/** Whose events a statistic covers: one user's, or everybody's when `userId` is absent. */
export interface StatsScope extends TimeRange {
  userId?: string;
}

/** Most media kinds reported; kinds come from event data, so their number is capped. */
export const MAX_REPORTED_KINDS = 50;

/** Compression savings in total and per kind. */
export interface SavingsTotals {
  count: number;
  bytesSaved: number;
  byKind: AnalyticsKindSavings[];
}

/**
 * The statistics of the analytics endpoints, written for what FerretDB v1 and MongoDB 7 both run:
 * - `$match`, `$group` with one `$sum` accumulator, `$sort`, `$limit` and `$count` only: FerretDB v1 has no
 *   `$avg`/`$min`/`$max`/`$push`/`$percentile`, no date or arithmetic operators, and evaluates only the
 *   first `$sum` of a `$group` correctly (later ones come back 0), so each total is its own aggregation;
 * - days come from the stored `day` field instead of `$dateTrunc`/`$dateToString`;
 * - percentiles are read from an index-sorted query at their nearest rank (see `percentiles.ts`).
 */
export interface AnalyticsQueries {
  /** Event counts per (type, UTC day). */
  activityRows(scope: StatsScope): Promise<ActivityRow[]>;
  /** How many distinct users have at least one event in the range. */
  countActiveUsers(range: TimeRange): Promise<number>;
  /** p50/p90/p99 of `data.duration_ms` of `media.succeeded` events, per `data.kind`, most frequent first. */
  processingTimes(scope: StatsScope): Promise<AnalyticsKindTiming[]>;
  /** Sum of `data.bytes_saved` of `media.succeeded` events, in total and per `data.kind`. */
  savings(scope: StatsScope): Promise<SavingsTotals>;
}

/** Creates the statistics queries on the events collection. */
export function createAnalyticsQueries(db: Db, timeMongo: MongoTimer): AnalyticsQueries {
  const events = db.collection<EventDocument>(EVENTS_COLLECTION);

  function scopeFilter(scope: StatsScope): Filter<EventDocument> {
    const filter: Filter<EventDocument> = { ...toOccurredAtFilter(scope) };
    if (scope.userId !== undefined) filter.user_id = scope.userId;
    return filter;
  }

  function mediaFilter(scope: StatsScope, numberField: string): Filter<EventDocument> {
    return {
      ...scopeFilter(scope),
      event_type: ANALYTICS_MEDIA_SUCCEEDED,
      'data.kind': { $type: 'string' },
      [numberField]: { $type: 'number' },
    };
  }

  /** `{ kind -> value }` of one `$sum` grouped by kind, largest first, at most {@link MAX_REPORTED_KINDS}. */
  async function sumByKind(filter: Filter<EventDocument>, sum: 1 | string): Promise<Map<string, number>> {
    const rows = await events
      .aggregate<{ _id: string; value: number }>([
        { $match: filter },
        { $group: { _id: '$data.kind', value: { $sum: sum } } },
        { $sort: { value: -1, _id: 1 } },
        { $limit: MAX_REPORTED_KINDS },
      ])
      .toArray();
    return new Map(rows.map((row) => [row._id, Number(row.value)]));
  }

  /** Event counts per kind (the reported kinds), then `sum` over the same kinds. */
  async function countAndSumByKind(filter: Filter<EventDocument>, sum: string) {
    const counts = await sumByKind(filter, 1);
    const sums = await sumByKind({ ...filter, 'data.kind': { $in: [...counts.keys()] } }, sum);
    return { counts, sums };
  }

  /** The `index`-th smallest `data.duration_ms` of a kind; the largest if the set shrank meanwhile. */
  async function durationAt(filter: Filter<EventDocument>, index: number): Promise<number | undefined> {
    const projection = { _id: 0, 'data.duration_ms': 1 };
    const read = (sort: 1 | -1, skip: number) =>
      events.find(filter, { projection }).sort({ 'data.duration_ms': sort }).skip(skip).limit(1).next();
    const found = (await read(1, index)) ?? (await read(-1, 0));
    const value = found?.data?.duration_ms;
    return typeof value === 'number' ? value : undefined;
  }

  return {
    activityRows(scope) {
      return timeMongo('analytics.activity', async () => {
        const rows = await events
          .aggregate<{ _id: { type: string; day: string }; count: number }>([
            { $match: scopeFilter(scope) },
            { $group: { _id: { type: '$event_type', day: '$day' }, count: { $sum: 1 } } },
          ])
          .toArray();
        return rows.map((row) => ({ eventType: row._id.type, day: row._id.day, count: Number(row.count) }));
      });
    },

    countActiveUsers(range) {
      return timeMongo('analytics.active_users', async () => {
        const [row] = await events
          .aggregate<{ users: number }>([
            { $match: { ...toOccurredAtFilter(range), user_id: { $type: 'string' } } },
            { $group: { _id: '$user_id' } },
            { $count: 'users' },
          ])
          .toArray();
        return row ? Number(row.users) : 0;
      });
    },

    processingTimes(scope) {
      return timeMongo('analytics.processing_times', async () => {
        const filter = mediaFilter(scope, 'data.duration_ms');
        const counts = await sumByKind(filter, 1);
        const timings = await Promise.all(
          [...counts].map(async ([kind, count]) => {
            const kindFilter = { ...filter, 'data.kind': kind };
            const values = await Promise.all(
              REPORTED_PERCENTILES.map((p) => durationAt(kindFilter, nearestRankIndex(p, count))),
            );
            const [p50, p90, p99] = values;
            if (p50 === undefined || p90 === undefined || p99 === undefined) return undefined;
            return { kind, count, p50_ms: p50, p90_ms: p90, p99_ms: p99 };
          }),
        );
        return timings.filter((timing) => timing !== undefined);
      });
    },

    savings(scope) {
      return timeMongo('analytics.savings', async () => {
        const filter = mediaFilter(scope, 'data.bytes_saved');
        const { counts, sums } = await countAndSumByKind(filter, '$data.bytes_saved');
        const byKind = [...counts].map(([kind, count]) => ({
          kind,
          count,
          bytes_saved: sums.get(kind) ?? 0,
        }));
        return {
          count: byKind.reduce((total, kind) => total + kind.count, 0),
          bytesSaved: byKind.reduce((total, kind) => total + kind.bytes_saved, 0),
          byKind,
        };
      });
    },
  };
}
