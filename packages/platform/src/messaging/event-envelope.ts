import { type TSchema, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { FieldError } from '../errors/problem.js';

/**
 * The envelope every message carries (DESIGN §3). The schema of record, published in the AsyncAPI
 * document, is the contracts package's `EventEnvelopeSchema`; this module checks the same fields
 * and leaves `data` to the event catalogue it is given.
 */
export interface EventEnvelope<D = unknown> {
  event_id: string;
  event_type: string;
  event_version: number;
  occurred_at: string;
  producer: string;
  request_id: string;
  user_id?: string;
  data: D;
}

/** The event catalogue: each event type (= routing key) with the TypeBox schema of its `data`. */
export type EventSchemas = Readonly<Record<string, TSchema>>;

/** Version of the envelope fields this module writes. */
export const ENVELOPE_VERSION = 1;

const EnvelopeFrame = Type.Object(
  {
    event_id: Type.String({ format: 'uuid', maxLength: 36 }),
    event_type: Type.String({
      minLength: 3,
      maxLength: 128,
      pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$',
    }),
    event_version: Type.Integer({ minimum: 1, maximum: 1000 }),
    occurred_at: Type.String({ format: 'date-time', maxLength: 40 }),
    producer: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9-]*$' }),
    request_id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:@/+=-]+$' }),
    user_id: Type.Optional(Type.String({ format: 'uuid', maxLength: 36 })),
    data: Type.Unknown(),
  },
  { additionalProperties: false },
);

/** Outcome of {@link EventValidator.validate}. */
export type EnvelopeCheck =
  | { ok: true; envelope: EventEnvelope }
  | { ok: false; reason: string; errors: FieldError[] };

/** Validates envelopes against the envelope fields and the catalogue's data schemas (compiled once). */
export interface EventValidator {
  /** True when `eventType` is in the catalogue. */
  has(eventType: string): boolean;
  /** Every event type of the catalogue. */
  types(): string[];
  /** Checks a parsed message body. */
  validate(value: unknown): EnvelopeCheck;
}

const MAX_REPORTED_ERRORS = 10;

/** Compiles the catalogue into a validator. */
export function createEventValidator(schemas: EventSchemas): EventValidator {
  const frame = Compile(EnvelopeFrame);
  const data = new Map(Object.entries(schemas).map(([type, schema]) => [type, Compile(schema)] as const));
  return {
    has: (eventType) => data.has(eventType),
    types: () => [...data.keys()],
    validate(value) {
      if (!frame.Check(value)) {
        const errors = collect(frame.Errors(value), '');
        return { ok: false, reason: `invalid envelope: ${describe(errors)}`, errors };
      }
      const envelope = value as EventEnvelope;
      const check = data.get(envelope.event_type);
      if (!check) {
        return {
          ok: false,
          reason: `unknown event type "${envelope.event_type}"`,
          errors: [{ field: '/event_type', message: 'is not in the event catalogue' }],
        };
      }
      if (!check.Check(envelope.data)) {
        const errors = collect(check.Errors(envelope.data), '/data');
        return { ok: false, reason: `invalid ${envelope.event_type} data: ${describe(errors)}`, errors };
      }
      return { ok: true, envelope };
    },
  };
}

function collect(
  errors: Iterable<{ instancePath: string; message: string; keyword: string }>,
  prefix: string,
): FieldError[] {
  const result: FieldError[] = [];
  for (const error of errors) {
    // TypeBox reports a closed object's extra member twice (`schema is false`, then the object rule).
    if (error.keyword === 'boolean') continue;
    result.push({ field: `${prefix}${error.instancePath}` || '/', message: error.message });
    if (result.length >= MAX_REPORTED_ERRORS) break;
  }
  return result;
}

function describe(errors: FieldError[]): string {
  return errors.map((error) => `${error.field} ${error.message}`).join('; ');
}
