import {
  ANALYTICS_V1_PATHS,
  AnalyticsActivitySchema,
  AnalyticsProcessingTimesSchema,
  AnalyticsRangeQuerySchema,
  AnalyticsSavingsSchema,
  AnalyticsUserParamsSchema,
} from '@flotilla/contracts';
import type { HttpApp } from '@flotilla/platform';
import { serviceTokenSecurity } from '../../openapi.js';
import { summarizeActivity } from './activity-summary.js';
import type { AnalyticsQueries, StatsScope } from './aggregations.js';
import { parseTimeRange, resolveActivityRange } from './time-range.js';

const RANGE_ERRORS = '422 `ANALYTICS.INVALID_RANGE` when `from` is not before `to`.';

/** Per-user and system-wide statistics under `/api/v1/analytics`. */
export function registerAnalyticsRoutes(app: HttpApp, deps: { analytics: AnalyticsQueries }): void {
  const { analytics } = deps;
  const common = {
    tags: ['analytics'],
    security: serviceTokenSecurity,
    querystring: AnalyticsRangeQuerySchema,
  };

  async function activity(query: { from?: string; to?: string }, userId?: string) {
    const range = resolveActivityRange(query);
    const scope: StatsScope = userId === undefined ? range : { ...range, userId };
    const [rows, activeUsers] = await Promise.all([
      analytics.activityRows(scope),
      userId === undefined ? analytics.countActiveUsers(range) : Promise.resolve(undefined),
    ]);
    return {
      ...(userId === undefined ? {} : { user_id: userId }),
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      ...(activeUsers === undefined ? {} : { active_users: activeUsers }),
      ...summarizeActivity(rows),
    };
  }

  async function processingTimes(query: { from?: string; to?: string }, userId?: string) {
    const range = parseTimeRange(query);
    const byKind = await analytics.processingTimes(userId === undefined ? range : { ...range, userId });
    return { ...(userId === undefined ? {} : { user_id: userId }), by_kind: byKind };
  }

  async function savings(query: { from?: string; to?: string }, userId?: string) {
    const range = parseTimeRange(query);
    const totals = await analytics.savings(userId === undefined ? range : { ...range, userId });
    return {
      ...(userId === undefined ? {} : { user_id: userId }),
      count: totals.count,
      bytes_saved: totals.bytesSaved,
      by_kind: totals.byKind,
    };
  }

  const activityDescription =
    'Event counts by type and by UTC day, in `[from, to)` (default: the last 30 days; at most 366 days). ';

  app.get(
    ANALYTICS_V1_PATHS.userActivity,
    {
      schema: {
        ...common,
        summary: "A user's activity",
        description: `${activityDescription}422 \`ANALYTICS.INVALID_RANGE\`.`,
        params: AnalyticsUserParamsSchema,
        response: { 200: AnalyticsActivitySchema },
      },
    },
    (request) => activity(request.query, request.params.user_id),
  );

  app.get(
    ANALYTICS_V1_PATHS.activity,
    {
      schema: {
        ...common,
        summary: 'System-wide activity (admin statistics)',
        description: `${activityDescription}Includes the number of active users. 422 \`ANALYTICS.INVALID_RANGE\`.`,
        response: { 200: AnalyticsActivitySchema },
      },
    },
    (request) => activity(request.query),
  );

  const timesDescription =
    'Nearest-rank p50/p90/p99 of `data.duration_ms` of `media.succeeded` events, per `data.kind`. ';

  app.get(
    ANALYTICS_V1_PATHS.userProcessingTimes,
    {
      schema: {
        ...common,
        summary: "Processing times of a user's media",
        description: timesDescription + RANGE_ERRORS,
        params: AnalyticsUserParamsSchema,
        response: { 200: AnalyticsProcessingTimesSchema },
      },
    },
    (request) => processingTimes(request.query, request.params.user_id),
  );

  app.get(
    ANALYTICS_V1_PATHS.processingTimes,
    {
      schema: {
        ...common,
        summary: 'System-wide processing times (admin statistics)',
        description: timesDescription + RANGE_ERRORS,
        response: { 200: AnalyticsProcessingTimesSchema },
      },
    },
    (request) => processingTimes(request.query),
  );

  const savingsDescription =
    'Sum of `data.bytes_saved` of `media.succeeded` events, in total and per `data.kind`. ';

  app.get(
    ANALYTICS_V1_PATHS.userSavings,
    {
      schema: {
        ...common,
        summary: "Compression savings of a user's media",
        description: savingsDescription + RANGE_ERRORS,
        params: AnalyticsUserParamsSchema,
        response: { 200: AnalyticsSavingsSchema },
      },
    },
    (request) => savings(request.query, request.params.user_id),
  );

  app.get(
    ANALYTICS_V1_PATHS.savings,
    {
      schema: {
        ...common,
        summary: 'System-wide compression savings (admin statistics)',
        description: savingsDescription + RANGE_ERRORS,
        response: { 200: AnalyticsSavingsSchema },
      },
    },
    (request) => savings(request.query),
  );
}
