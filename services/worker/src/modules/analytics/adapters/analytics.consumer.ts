import { type AnalyticsEvent, CONSUMER_QUEUES } from '@flotilla/contracts';
import type { EventEnvelope, EventHandler, HandlerOutcome } from '@flotilla/platform';
import type { RecordEvent } from '../application/record-event.use-case.js';

/** The queue this consumer reads: `q.worker.analytics`, bound to every event (`#`). */
export const ANALYTICS_QUEUE = CONSUMER_QUEUES.workerAnalytics;

/** The envelope as data-mongo records it (the same fields, `user_id` only when set). */
export function toAnalyticsEvent(envelope: EventEnvelope): AnalyticsEvent {
  return {
    event_id: envelope.event_id,
    event_type: envelope.event_type,
    event_version: envelope.event_version,
    occurred_at: envelope.occurred_at,
    producer: envelope.producer,
    request_id: envelope.request_id,
    ...(envelope.user_id === undefined ? {} : { user_id: envelope.user_id }),
    data: envelope.data as Record<string, unknown>,
  };
}

/** The analytics consumer: every domain event is recorded; acked only after its batch was written. */
export function createAnalyticsConsumer(deps: { recordEvent: RecordEvent }): EventHandler {
  return async function handleDomainEvent(envelope): Promise<HandlerOutcome> {
    const result = await deps.recordEvent.record(toAnalyticsEvent(envelope));
    if (result.status === 'recorded') return { action: 'ack' };
    if (result.status === 'retry') return { action: 'retry', reason: result.reason };
    if (result.status === 'deferred') return { action: 'defer', reason: result.reason };
    return { action: 'dead-letter', reason: result.reason };
  };
}
