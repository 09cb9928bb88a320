import type { AnalyticsEvent } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';

/** A valid event envelope; override any field. */
export function makeEvent(overrides: Partial<AnalyticsEvent> = {}): AnalyticsEvent {
  return {
    event_id: newId(),
    event_type: 'media.uploaded',
    event_version: 1,
    occurred_at: new Date().toISOString(),
    producer: 'api',
    request_id: `req-${newId()}`,
    data: {},
    ...overrides,
  };
}

/** A `media.succeeded` event of `kind` with a processing time and a saving. */
export function mediaSucceeded(
  userId: string,
  kind: string,
  durationMs: number,
  bytesSaved: number,
  occurredAt: Date = new Date(),
): AnalyticsEvent {
  return makeEvent({
    event_type: 'media.succeeded',
    producer: 'worker',
    user_id: userId,
    occurred_at: occurredAt.toISOString(),
    data: { job_id: newId(), kind, duration_ms: durationMs, bytes_saved: bytesSaved },
  });
}
