import type { ActivityReports } from './files.ports.js';

/** A user's activity summary over the last `days` days. */
export interface MyStats {
  days: number;
  events: number;
  byType: Array<{ type: string; count: number }>;
  photosCompressed: number;
  bytesSaved: number;
}

const DAY_MS = 24 * 3600 * 1000;

/** A user's activity and compression savings over the last 30 days, from the analytics in data-mongo. */
export function createGetMyStats(deps: { analytics: ActivityReports; now?: () => number }) {
  const now = deps.now ?? Date.now;
  return async function getMyStats(userId: string, days = 30): Promise<MyStats> {
    const to = new Date(now());
    const range = { from: new Date(to.getTime() - days * DAY_MS).toISOString(), to: to.toISOString() };
    const [activity, savings] = await Promise.all([
      deps.analytics.userActivity(userId, range),
      deps.analytics.savings({ user_id: userId, ...range }),
    ]);
    return {
      days,
      events: activity.total,
      byType: activity.by_type.map((entry) => ({ type: entry.event_type, count: entry.count })),
      photosCompressed: savings.count,
      bytesSaved: savings.bytes_saved,
    };
  };
}
