import { type Static, type TSchema, Type } from 'typebox';

/** The envelope version every event of this catalogue carries (`event_version`). */
export const EVENT_VERSION = 1;

/** A dotted event type, which is also the message's routing key: `media.uploaded`. */
export const EventTypeNameSchema = Type.String({
  minLength: 3,
  maxLength: 128,
  pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$',
  description: 'Event type and routing key, e.g. `media.uploaded`.',
});

/** The service that published an event (`api`, `bot`, `worker`, ...). */
export const EventProducerSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[a-z][a-z0-9-]*$',
  description: 'Publishing service, e.g. `api`.',
});

/** The request id of the unit of work that published the event (HTTP request, bot update, job). */
export const EventRequestIdSchema = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9._:@/+=-]+$',
  description: 'Correlation id of the work that published the event.',
});

/** The envelope fields shared by every event, without `data`. */
export const EventEnvelopeFields = {
  event_id: Type.String({
    format: 'uuid',
    maxLength: 36,
    description: 'UUID v7 of this event; the AMQP `message_id`.',
  }),
  event_type: EventTypeNameSchema,
  event_version: Type.Integer({ minimum: 1, maximum: 1000, description: 'Version of the event schema.' }),
  occurred_at: Type.String({
    format: 'date-time',
    maxLength: 40,
    description: 'When it happened: ISO-8601 UTC with milliseconds.',
  }),
  producer: EventProducerSchema,
  request_id: EventRequestIdSchema,
  user_id: Type.Optional(
    Type.String({
      format: 'uuid',
      maxLength: 36,
      description: 'The user on whose behalf it happened, when there is one.',
    }),
  ),
};

/**
 * The envelope every message carries, with a free-form (but bounded) `data`. Use
 * {@link eventEnvelopeSchema} for the envelope of one event type.
 */
export const EventEnvelopeSchema = Type.Object(
  {
    ...EventEnvelopeFields,
    data: Type.Record(Type.String({ maxLength: 128 }), Type.Unknown(), { maxProperties: 100 }),
  },
  { additionalProperties: false },
);
/** An event envelope with untyped data. */
export type AnyEventEnvelope = Static<typeof EventEnvelopeSchema>;

/** The envelope of one event type: `event_type` fixed to `type`, `data` validated by `data`. */
export function eventEnvelopeSchema<T extends TSchema>(type: string, data: T) {
  return Type.Object(
    {
      ...EventEnvelopeFields,
      event_type: Type.Literal(type, { description: 'Event type and routing key.' }),
      event_version: Type.Literal(EVENT_VERSION),
      data,
    },
    { additionalProperties: false },
  );
}
