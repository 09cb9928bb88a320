import { ANALYTICS_ACTIVITY_MAX_DAYS, type AnalyticsRangeQuery } from '@flotilla/contracts';
import type { Filter } from 'mongodb';
import { analyticsErrors } from './analytics.errors.js';
import type { EventDocument } from './event-document.js';

const DAY_MS = 86_400_000;

/** Default span of an activity report. */
export const DEFAULT_ACTIVITY_DAYS = 30;

/** A time range on `occurred_at`: `from` inclusive, `to` exclusive; an absent bound is open. */
export interface TimeRange {
  from?: Date;
  to?: Date;
}

/** Parses `from`/`to` of a query; `ANALYTICS.INVALID_RANGE` when `from` is not before `to`. */
export function parseTimeRange(query: AnalyticsRangeQuery): TimeRange {
  const range: TimeRange = {};
  if (query.from !== undefined) range.from = new Date(query.from);
  if (query.to !== undefined) range.to = new Date(query.to);
  if (range.from && range.to && range.from >= range.to) {
    throw analyticsErrors.INVALID_RANGE({ detail: '`from` must be before `to`.' });
  }
  return range;
}

/**
 * The closed range of an activity report: `to` defaults to now and `from` to {@link DEFAULT_ACTIVITY_DAYS}
 * days before `to`; the span is at most ANALYTICS_ACTIVITY_MAX_DAYS, so the per-day answer stays bounded.
 */
export function resolveActivityRange(
  query: AnalyticsRangeQuery,
  now: Date = new Date(),
): Required<TimeRange> {
  const parsed = parseTimeRange(query);
  const to = parsed.to ?? now;
  const from = parsed.from ?? new Date(to.getTime() - DEFAULT_ACTIVITY_DAYS * DAY_MS);
  if (from >= to)
    throw analyticsErrors.INVALID_RANGE({ detail: '`from` must be before `to` (default: now).' });
  if (to.getTime() - from.getTime() > ANALYTICS_ACTIVITY_MAX_DAYS * DAY_MS) {
    throw analyticsErrors.INVALID_RANGE({
      detail: `An activity report spans at most ${ANALYTICS_ACTIVITY_MAX_DAYS} days.`,
    });
  }
  return { from, to };
}

/** The `occurred_at` condition of a range (empty when both bounds are open). */
export function toOccurredAtFilter(range: TimeRange): Filter<EventDocument> {
  const bounds: { $gte?: Date; $lt?: Date } = {};
  if (range.from) bounds.$gte = range.from;
  if (range.to) bounds.$lt = range.to;
  return Object.keys(bounds).length === 0 ? {} : { occurred_at: bounds };
}
