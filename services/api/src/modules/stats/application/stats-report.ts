import type {
  AnalyticsActivity,
  AnalyticsProcessingTimes,
  AnalyticsSavings,
  AnalyticsStatsFilter,
} from '@flotilla/contracts';
import type { StatsDeps } from './stats.ports.js';

/** One report: activity, processing times and savings over the same range, for one user or everyone. */
export interface StatsReport {
  userId?: string;
  from: string;
  to: string;
  days: number;
  activity: AnalyticsActivity;
  processingTimes: AnalyticsProcessingTimes;
  savings: AnalyticsSavings;
  generatedAt: string;
}

/** A report, and whether it came from the cache. */
export interface CachedReport {
  report: StatsReport;
  cached: boolean;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Computes a report from data-mongo's aggregations (three calls in parallel), or returns the one cached in
 * the last `cacheSeconds`. The cache is best effort both ways.
 */
export async function buildReport(
  deps: StatsDeps,
  request: { cacheKey: string; userId?: string; days: number },
): Promise<CachedReport> {
  const { cache, logger } = deps;
  try {
    const hit = await cache.get(request.cacheKey);
    if (hit !== undefined) return { report: JSON.parse(hit) as StatsReport, cached: true };
  } catch (error) {
    logger.warn({ err: error }, 'stats cache read failed');
  }

  const now = deps.now?.() ?? new Date();
  const to = now.toISOString();
  const from = new Date(now.getTime() - request.days * DAY_MS).toISOString();
  const filter: AnalyticsStatsFilter = { from, to, ...(request.userId && { user_id: request.userId }) };
  const [activity, processingTimes, savings] = await Promise.all([
    request.userId
      ? deps.analytics.userActivity(request.userId, { from, to })
      : deps.analytics.systemActivity({ from, to }),
    deps.analytics.processingTimes(filter),
    deps.analytics.savings(filter),
  ]);
  const report: StatsReport = {
    ...(request.userId && { userId: request.userId }),
    from,
    to,
    days: request.days,
    activity,
    processingTimes,
    savings,
    generatedAt: to,
  };
  try {
    await cache.set(request.cacheKey, JSON.stringify(report), deps.cacheSeconds);
  } catch (error) {
    logger.warn({ err: error }, 'stats cache write failed');
  }
  return { report, cached: false };
}
