import type { AnalyticsDayActivity, AnalyticsTypeCount } from '@flotilla/contracts';

/** One group of the activity aggregation: how many events of a type on a UTC day. */
export interface ActivityRow {
  eventType: string;
  day: string;
  count: number;
}

/** Activity totals: overall, by event type (most frequent first) and by day (oldest first). */
export interface ActivitySummary {
  total: number;
  by_type: AnalyticsTypeCount[];
  by_day: AnalyticsDayActivity[];
}

function sortTypeCounts(counts: Map<string, number>): AnalyticsTypeCount[] {
  return [...counts]
    .map(([event_type, count]) => ({ event_type, count }))
    .sort((a, b) => b.count - a.count || a.event_type.localeCompare(b.event_type));
}

/** Folds (type, day, count) rows into the report's totals; days without events are left out. */
export function summarizeActivity(rows: readonly ActivityRow[]): ActivitySummary {
  const byType = new Map<string, number>();
  const byDay = new Map<string, Map<string, number>>();
  let total = 0;
  for (const row of rows) {
    total += row.count;
    byType.set(row.eventType, (byType.get(row.eventType) ?? 0) + row.count);
    const day = byDay.get(row.day) ?? new Map<string, number>();
    day.set(row.eventType, (day.get(row.eventType) ?? 0) + row.count);
    byDay.set(row.day, day);
  }
  const days = [...byDay.keys()].sort();
  return {
    total,
    by_type: sortTypeCounts(byType),
    by_day: days.map((day) => {
      const counts = byDay.get(day) ?? new Map<string, number>();
      let dayTotal = 0;
      for (const count of counts.values()) dayTotal += count;
      return { day, total: dayTotal, by_type: sortTypeCounts(counts) };
    }),
  };
}
