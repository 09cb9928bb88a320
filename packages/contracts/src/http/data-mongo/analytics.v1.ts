import { type Static, Type } from 'typebox';
import { Page, PageQuery, Timestamp, Uuid } from '../common.v1.js';

/** Most events accepted by one ingest call; split larger batches (`ANALYTICS.BATCH_TOO_LARGE` above). */
export const ANALYTICS_BATCH_MAX_EVENTS = 500;

/** Largest `data` object of one event, in bytes of its JSON encoding (`ANALYTICS.INVALID_EVENT` above). */
export const ANALYTICS_EVENT_DATA_MAX_BYTES = 16 * 1024;

/** Deepest nesting of objects and arrays inside an event's `data`. */
export const ANALYTICS_EVENT_DATA_MAX_DEPTH = 16;

/** The event type whose `data` feeds processing times and savings: `media.succeeded`. */
export const ANALYTICS_MEDIA_SUCCEEDED = 'media.succeeded';

/** Longest time range of an activity report, in days. */
export const ANALYTICS_ACTIVITY_MAX_DAYS = 366;

/** A dotted, versionless event type such as `media.uploaded`. */
export const AnalyticsEventTypeSchema = Type.String({
  minLength: 3,
  maxLength: 128,
  pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$',
  description: 'Event type, e.g. `media.uploaded`.',
});

/**
 * An event as data-mongo records it: the event envelope every Flotilla message carries.
 * `data` is free-form but bounded ({@link ANALYTICS_EVENT_DATA_MAX_BYTES}, {@link ANALYTICS_EVENT_DATA_MAX_DEPTH});
 * its keys must not contain `.` nor start with `$`. `media.succeeded` events feed the statistics through
 * `data.kind` (string), `data.duration_ms` and `data.bytes_saved` (numbers).
 */
export const AnalyticsEventSchema = Type.Object(
  {
    event_id: Uuid,
    event_type: AnalyticsEventTypeSchema,
    event_version: Type.Integer({ minimum: 1, maximum: 1000 }),
    occurred_at: Timestamp,
    producer: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9-]*$' }),
    request_id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:@/+=-]+$' }),
    user_id: Type.Optional(Uuid),
    data: Type.Record(Type.String(), Type.Unknown(), { maxProperties: 100 }),
  },
  { additionalProperties: false },
);
/** An event envelope as recorded by data-mongo. */
export type AnalyticsEvent = Static<typeof AnalyticsEventSchema>;

/** Body of `POST /api/v1/analytics/events`: 1 to {@link ANALYTICS_BATCH_MAX_EVENTS} events. */
export const AnalyticsIngestBodySchema = Type.Array(AnalyticsEventSchema, {
  minItems: 1,
  maxItems: ANALYTICS_BATCH_MAX_EVENTS,
});
/** A batch of events to record. */
export type AnalyticsIngestBody = Static<typeof AnalyticsIngestBodySchema>;

/** Outcome of an ingest: an event already recorded (same `event_id`) counts as a duplicate, not an error. */
export const AnalyticsIngestResultSchema = Type.Object(
  {
    received: Type.Integer({ minimum: 0 }),
    inserted: Type.Integer({ minimum: 0 }),
    duplicates: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
/** Counts of an ingest call. */
export type AnalyticsIngestResult = Static<typeof AnalyticsIngestResultSchema>;

/** A time range: `from` inclusive, `to` exclusive (ISO-8601). */
export const AnalyticsRangeQuerySchema = Type.Object(
  {
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
/** A time range query. */
export type AnalyticsRangeQuery = Static<typeof AnalyticsRangeQuerySchema>;

/** Query of `GET /api/v1/analytics/events`: newest first, cursor paginated. */
export const AnalyticsEventQuerySchema = Type.Object(
  {
    ...PageQuery.properties,
    user_id: Type.Optional(Uuid),
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    event_type: Type.Optional(
      Type.Array(AnalyticsEventTypeSchema, {
        minItems: 1,
        maxItems: 20,
        description: 'Only these event types; repeat the parameter for several.',
      }),
    ),
  },
  { additionalProperties: false },
);
/** Filter and page of an event query. */
export type AnalyticsEventQuery = Static<typeof AnalyticsEventQuerySchema>;

/** A page of recorded events, newest first. */
export const AnalyticsEventPageSchema = Page(AnalyticsEventSchema);
/** A page of recorded events. */
export type AnalyticsEventPage = Static<typeof AnalyticsEventPageSchema>;

/** Path parameters naming one user. */
export const AnalyticsUserParamsSchema = Type.Object({ user_id: Uuid }, { additionalProperties: false });
/** Path parameters naming one user. */
export type AnalyticsUserParams = Static<typeof AnalyticsUserParamsSchema>;

/** How many events of one type. */
export const AnalyticsTypeCountSchema = Type.Object(
  { event_type: Type.String(), count: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
/** How many events of one type. */
export type AnalyticsTypeCount = Static<typeof AnalyticsTypeCountSchema>;

/** Events of one UTC day. */
export const AnalyticsDayActivitySchema = Type.Object(
  {
    day: Type.String({ format: 'date', description: 'UTC day, `YYYY-MM-DD`.' }),
    total: Type.Integer({ minimum: 0 }),
    by_type: Type.Array(AnalyticsTypeCountSchema),
  },
  { additionalProperties: false },
);
/** Events of one UTC day. */
export type AnalyticsDayActivity = Static<typeof AnalyticsDayActivitySchema>;

/**
 * Activity in a time range (default: the last 30 days; at most {@link ANALYTICS_ACTIVITY_MAX_DAYS}):
 * totals by event type and by UTC day. `user_id` is set for one user's report; `active_users` (users
 * with at least one event) only for the system-wide one.
 */
export const AnalyticsActivitySchema = Type.Object(
  {
    user_id: Type.Optional(Uuid),
    from: Timestamp,
    to: Timestamp,
    total: Type.Integer({ minimum: 0 }),
    active_users: Type.Optional(Type.Integer({ minimum: 0 })),
    by_type: Type.Array(AnalyticsTypeCountSchema),
    by_day: Type.Array(AnalyticsDayActivitySchema),
  },
  { additionalProperties: false },
);
/** An activity report. */
export type AnalyticsActivity = Static<typeof AnalyticsActivitySchema>;

/** Processing-time percentiles of one kind of media (nearest-rank, in milliseconds). */
export const AnalyticsKindTimingSchema = Type.Object(
  {
    kind: Type.String(),
    count: Type.Integer({ minimum: 0 }),
    p50_ms: Type.Number(),
    p90_ms: Type.Number(),
    p99_ms: Type.Number(),
  },
  { additionalProperties: false },
);
/** Processing-time percentiles of one kind. */
export type AnalyticsKindTiming = Static<typeof AnalyticsKindTimingSchema>;

/** Processing times from `media.succeeded` events (`data.duration_ms`), per `data.kind`. */
export const AnalyticsProcessingTimesSchema = Type.Object(
  {
    user_id: Type.Optional(Uuid),
    by_kind: Type.Array(AnalyticsKindTimingSchema),
  },
  { additionalProperties: false },
);
/** Processing times per kind. */
export type AnalyticsProcessingTimes = Static<typeof AnalyticsProcessingTimesSchema>;

/** Bytes saved for one kind of media. */
export const AnalyticsKindSavingsSchema = Type.Object(
  {
    kind: Type.String(),
    count: Type.Integer({ minimum: 0 }),
    bytes_saved: Type.Number(),
  },
  { additionalProperties: false },
);
/** Bytes saved for one kind. */
export type AnalyticsKindSavings = Static<typeof AnalyticsKindSavingsSchema>;

/** Compression savings from `media.succeeded` events (sum of `data.bytes_saved`), in total and per kind. */
export const AnalyticsSavingsSchema = Type.Object(
  {
    user_id: Type.Optional(Uuid),
    count: Type.Integer({ minimum: 0 }),
    bytes_saved: Type.Number(),
    by_kind: Type.Array(AnalyticsKindSavingsSchema),
  },
  { additionalProperties: false },
);
/** Compression savings. */
export type AnalyticsSavings = Static<typeof AnalyticsSavingsSchema>;

/** Paths of the analytics endpoints of data-mongo (`:user_id` is a placeholder). */
export const ANALYTICS_V1_PATHS = {
  events: '/api/v1/analytics/events',
  activity: '/api/v1/analytics/activity',
  userActivity: '/api/v1/analytics/users/:user_id/activity',
  processingTimes: '/api/v1/analytics/processing-times',
  userProcessingTimes: '/api/v1/analytics/users/:user_id/processing-times',
  savings: '/api/v1/analytics/savings',
  userSavings: '/api/v1/analytics/users/:user_id/savings',
} as const;
