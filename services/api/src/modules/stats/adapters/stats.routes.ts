import {
  AnalyticsDayActivitySchema,
  AnalyticsKindSavingsSchema,
  AnalyticsKindTimingSchema,
  AnalyticsTypeCountSchema,
  Timestamp,
  Uuid,
} from '@flotilla/contracts';
import type { HttpApp } from '@flotilla/platform';
import { Type } from 'typebox';
import { authenticate, bearerSecurity, currentUser, requireAdmin } from '../../../http/auth.js';
import { authedProblemResponses } from '../../../http/problem-responses.js';
import type { createGetMyStats } from '../application/get-my-stats.use-case.js';
import type { createGetSystemStats } from '../application/get-system-stats.use-case.js';
import type { CachedReport } from '../application/stats-report.js';

const Count = Type.Integer({ minimum: 0 });

/** A stats report on the wire. */
export const StatsReportSchema = Type.Object(
  {
    user_id: Type.Optional(Uuid),
    from: Timestamp,
    to: Timestamp,
    days: Type.Integer({ minimum: 1 }),
    activity: Type.Object(
      {
        total: Count,
        active_users: Type.Optional(Count),
        by_type: Type.Array(AnalyticsTypeCountSchema),
        by_day: Type.Array(AnalyticsDayActivitySchema),
      },
      { additionalProperties: false, description: 'Events by type and by UTC day.' },
    ),
    processing_times: Type.Array(AnalyticsKindTimingSchema, {
      description: 'p50/p90/p99 processing time per kind of media.',
    }),
    savings: Type.Object(
      { count: Count, bytes_saved: Type.Number(), by_kind: Type.Array(AnalyticsKindSavingsSchema) },
      { additionalProperties: false, description: 'Bytes saved by compression.' },
    ),
    generated_at: Timestamp,
    cached: Type.Boolean({ description: 'Served from the short-lived cache.' }),
  },
  { additionalProperties: false },
);

const StatsQuerySchema = Type.Object(
  {
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30, description: 'Last N days.' })),
  },
  { additionalProperties: false },
);

function toWire({ report, cached }: CachedReport) {
  return {
    ...(report.userId && { user_id: report.userId }),
    from: report.from,
    to: report.to,
    days: report.days,
    activity: {
      total: report.activity.total,
      ...(report.activity.active_users !== undefined && { active_users: report.activity.active_users }),
      by_type: report.activity.by_type,
      by_day: report.activity.by_day,
    },
    processing_times: report.processingTimes.by_kind,
    savings: {
      count: report.savings.count,
      bytes_saved: report.savings.bytes_saved,
      by_kind: report.savings.by_kind,
    },
    generated_at: report.generatedAt,
    cached,
  };
}

/** `GET /stats/me` and admin `GET /stats/system`. */
export function registerStatsRoutes(
  app: HttpApp,
  deps: {
    getMyStats: ReturnType<typeof createGetMyStats>;
    getSystemStats: ReturnType<typeof createGetSystemStats>;
    cacheSeconds: number;
  },
): void {
  const cacheNote = `Computed from the analytics events and cached for ${deps.cacheSeconds} s.`;
  app.get(
    '/stats/me',
    {
      preHandler: authenticate,
      schema: {
        tags: ['stats'],
        summary: 'Your activity, processing times and compression savings',
        description: cacheNote,
        security: bearerSecurity,
        querystring: StatsQuerySchema,
        response: { 200: StatsReportSchema, ...authedProblemResponses() },
      },
    },
    async (request) =>
      toWire(await deps.getMyStats({ userId: currentUser(request).id, days: request.query.days ?? 30 })),
  );

  app.get(
    '/stats/system',
    {
      preHandler: requireAdmin,
      schema: {
        tags: ['stats'],
        summary: 'System-wide activity, active users, processing times and savings (admins)',
        description: `${cacheNote} 403 \`AUTH.ADMIN_REQUIRED\` for other users.`,
        security: bearerSecurity,
        querystring: StatsQuerySchema,
        response: { 200: StatsReportSchema, ...authedProblemResponses(403) },
      },
    },
    async (request) => toWire(await deps.getSystemStats({ days: request.query.days ?? 30 })),
  );
}
