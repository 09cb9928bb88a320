import {
  ANALYTICS_BATCH_MAX_EVENTS,
  ANALYTICS_EVENT_DATA_MAX_BYTES,
  ANALYTICS_V1_PATHS,
  AnalyticsEventPageSchema,
  AnalyticsEventQuerySchema,
  AnalyticsIngestBodySchema,
  AnalyticsIngestResultSchema,
} from '@flotilla/contracts';
import type { HttpApp } from '@flotilla/platform';
import type { DataMongoMetrics } from '../../metrics.js';
import { serviceTokenSecurity } from '../../openapi.js';
import { analyticsErrors } from './analytics.errors.js';
import { decodePosition, encodePosition } from './event-cursor.js';
import { findEventDataErrors } from './event-data.js';
import type { EventsRepository } from './events.repository.js';
import { parseTimeRange } from './time-range.js';

/** Room per event for the envelope around `data`, when sizing the ingest body limit. */
const ENVELOPE_BYTES = 1024;

/** Largest ingest body: a full batch of events with the largest allowed `data`. */
export const INGEST_BODY_LIMIT =
  ANALYTICS_BATCH_MAX_EVENTS * (ANALYTICS_EVENT_DATA_MAX_BYTES + ENVELOPE_BYTES);

/** `POST` (ingest) and `GET` (query) of `/api/v1/analytics/events`. */
export function registerEventRoutes(
  app: HttpApp,
  deps: { events: EventsRepository; metrics: DataMongoMetrics },
): void {
  const { events, metrics } = deps;

  app.post(
    ANALYTICS_V1_PATHS.events,
    {
      bodyLimit: INGEST_BODY_LIMIT,
      // Before schema validation, so an oversized batch is refused without validating every event.
      preValidation: async (request) => {
        if (Array.isArray(request.body) && request.body.length > ANALYTICS_BATCH_MAX_EVENTS) {
          throw analyticsErrors.BATCH_TOO_LARGE({
            detail: `${request.body.length} events; at most ${ANALYTICS_BATCH_MAX_EVENTS} per call.`,
          });
        }
      },
      schema: {
        tags: ['analytics'],
        summary: 'Record a batch of events (idempotent by event_id)',
        description:
          'Unordered insert of up to 500 event envelopes. An event whose `event_id` is already recorded is counted ' +
          'as a duplicate, never an error, so a whole batch can be retried. 413 `ANALYTICS.BATCH_TOO_LARGE`, ' +
          '422 `ANALYTICS.INVALID_EVENT` (data too large, too deep, or with keys containing `.` or starting with `$`).',
        security: serviceTokenSecurity,
        body: AnalyticsIngestBodySchema,
        response: { 200: AnalyticsIngestResultSchema },
      },
    },
    async (request) => {
      const errors = findEventDataErrors(request.body);
      if (errors.length > 0) {
        throw analyticsErrors.INVALID_EVENT({
          detail: errors.map((error) => `${error.field} ${error.message}`).join('; '),
          data: { errors },
        });
      }
      const outcome = await events.insert(request.body);
      metrics.eventsIngested.inc({ result: 'inserted' }, outcome.inserted);
      metrics.eventsIngested.inc({ result: 'duplicate' }, outcome.duplicates);
      return { received: request.body.length, ...outcome };
    },
  );

  app.get(
    ANALYTICS_V1_PATHS.events,
    {
      schema: {
        tags: ['analytics'],
        summary: 'Recorded events, newest first',
        description:
          'Filtered by user, time range (`from` inclusive, `to` exclusive) and event types; cursor paginated. ' +
          '422 `ANALYTICS.INVALID_CURSOR`, `ANALYTICS.INVALID_RANGE`.',
        security: serviceTokenSecurity,
        querystring: AnalyticsEventQuerySchema,
        response: { 200: AnalyticsEventPageSchema },
      },
    },
    async (request) => {
      const { query } = request;
      const after = query.cursor === undefined ? undefined : decodePosition(query.cursor);
      const page = await events.findPage(
        {
          ...parseTimeRange(query),
          ...(query.user_id === undefined ? {} : { userId: query.user_id }),
          ...(query.event_type === undefined ? {} : { eventTypes: query.event_type }),
        },
        query.limit ?? 50,
        after,
      );
      return { items: page.items, next_cursor: page.next ? encodePosition(page.next) : null };
    },
  );
}
