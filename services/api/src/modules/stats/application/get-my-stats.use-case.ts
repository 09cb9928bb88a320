import type { StatsDeps } from './stats.ports.js';
import { buildReport, type CachedReport } from './stats-report.js';

/** A user's own activity, processing times and compression savings over the last `days` days. */
export function createGetMyStats(deps: StatsDeps) {
  return function getMyStats(input: { userId: string; days: number }): Promise<CachedReport> {
    return buildReport(deps, {
      cacheKey: `user.${input.userId}.${input.days}d`,
      userId: input.userId,
      days: input.days,
    });
  };
}
