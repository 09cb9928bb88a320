import type { AnalyticsEvent } from '@flotilla/contracts';

/** The collection of recorded events. */
export const EVENTS_COLLECTION = 'analytics_events';

/**
 * An event as stored: the envelope with `event_id` as `_id` (so a repeat insert is a duplicate-key
 * no-op), `occurred_at` as a date (for ranges and retention), and the UTC `day` derived at ingest so
 * activity can be grouped by day without date operators, which FerretDB v1 lacks.
 */
export interface EventDocument {
  _id: string;
  event_type: string;
  event_version: number;
  occurred_at: Date;
  /** `YYYY-MM-DD` of `occurred_at` in UTC. */
  day: string;
  producer: string;
  request_id: string;
  user_id?: string;
  data: Record<string, unknown>;
  received_at: Date;
}

/** The UTC day of a date, `YYYY-MM-DD`. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Maps an incoming event to its stored form. */
export function toEventDocument(event: AnalyticsEvent, receivedAt: Date): EventDocument {
  const occurredAt = new Date(event.occurred_at);
  return {
    _id: event.event_id,
    event_type: event.event_type,
    event_version: event.event_version,
    occurred_at: occurredAt,
    day: utcDay(occurredAt),
    producer: event.producer,
    request_id: event.request_id,
    ...(event.user_id === undefined ? {} : { user_id: event.user_id }),
    data: event.data,
    received_at: receivedAt,
  };
}

/** Maps a stored event back to the envelope. */
export function toAnalyticsEvent(document: EventDocument): AnalyticsEvent {
  return {
    event_id: document._id,
    event_type: document.event_type,
    event_version: document.event_version,
    occurred_at: document.occurred_at.toISOString(),
    producer: document.producer,
    request_id: document.request_id,
    ...(document.user_id === undefined ? {} : { user_id: document.user_id }),
    data: document.data,
  };
}
