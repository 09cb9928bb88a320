import type { StatsDeps } from './stats.ports.js';
import { buildReport, type CachedReport } from './stats-report.js';

/** System-wide activity (with active users), processing times and savings: for admins. */
export function createGetSystemStats(deps: StatsDeps) {
  return function getSystemStats(input: { days: number }): Promise<CachedReport> {
    return buildReport(deps, { cacheKey: `system.${input.days}d`, days: input.days });
  };
}
