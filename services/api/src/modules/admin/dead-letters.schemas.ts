import { type Static, Type } from 'typebox';

/** `:queue` (a known consumer queue, e.g. `q.worker.media`) path parameter. */
export function QueueParamsSchema(queues: readonly string[]) {
  return Type.Object(
    {
      queue: Type.Union(
        queues.map((queue) => Type.Literal(queue)),
        { description: 'A consumer work queue.' },
      ),
    },
    { additionalProperties: false },
  );
}

/** `:queue/:message_id` path parameters. */
export function MessageParamsSchema(queues: readonly string[]) {
  return Type.Object(
    {
      ...QueueParamsSchema(queues).properties,
      message_id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }),
    },
    { additionalProperties: false },
  );
}

/** `GET /admin/dead-letters/:queue` query. */
export const ListDeadLettersQuerySchema = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })) },
  { additionalProperties: false },
);

/** A dead letter as the admin API shows it. */
export const DeadLetterSchema = Type.Object(
  {
    message_id: Type.Union([Type.String(), Type.Null()]),
    event_type: Type.Union([Type.String(), Type.Null()]),
    queue: Type.String(),
    attempt: Type.Union([Type.Integer(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    reason_kind: Type.Union([Type.String(), Type.Null()]),
    dead_lettered_at: Type.Union([Type.String(), Type.Null()]),
    size: Type.Integer({ minimum: 0 }),
    headers: Type.Record(Type.String(), Type.Unknown()),
    body: Type.Unknown(),
  },
  { additionalProperties: false },
);
/** A dead letter on the wire. */
export type DeadLetterWire = Static<typeof DeadLetterSchema>;

/** `POST /admin/dead-letters/:queue/replay` body: some ids, or up to `limit` of them (all by default). */
export const ReplayBodySchema = Type.Object(
  {
    ids: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
        minItems: 1,
        maxItems: 1000,
        uniqueItems: true,
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: false },
);

/** Result of a replay. */
export const ReplayResultSchema = Type.Object(
  { replayed: Type.Integer({ minimum: 0 }), missing: Type.Array(Type.String()) },
  { additionalProperties: false },
);

/** Result of a purge. */
export const PurgeResultSchema = Type.Object(
  { purged: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
