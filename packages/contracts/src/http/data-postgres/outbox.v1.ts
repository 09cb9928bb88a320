import { type Static, Type } from 'typebox';
import { EventEnvelopeSchema } from '../../events/envelope.v1.js';

/** A W3C `traceparent` header value: `00-<trace id>-<span id>-<flags>`. */
export const TraceparentSchema = Type.String({
  pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
  maxLength: 55,
  description: 'W3C trace context of the write that produced the event.',
});

/**
 * An event to publish once the write it comes with has committed (the transactional outbox). The
 * caller builds the envelope as it would for a publish (event id, producer, request id, user id, data);
 * data-postgres stores it in the same transaction as the write and its relay publishes it with
 * publisher confirms, carrying `traceparent`/`tracestate` as the message's headers. The event id makes
 * it idempotent: a retried write with the same event id stores it once.
 */
export const OutboxEventSchema = Type.Object(
  {
    envelope: EventEnvelopeSchema,
    traceparent: Type.Optional(TraceparentSchema),
    tracestate: Type.Optional(Type.String({ maxLength: 512, pattern: '^[ -~]*$' })),
  },
  { additionalProperties: false },
);
/** An event to publish after a write. */
export type OutboxEvent = Static<typeof OutboxEventSchema>;

/** The events a write carries (at most 10), published after it commits. */
export const OutboxEventsSchema = Type.Array(OutboxEventSchema, {
  maxItems: 10,
  description:
    'Events to publish once this write commits: stored in the same transaction, relayed with publisher confirms.',
});
