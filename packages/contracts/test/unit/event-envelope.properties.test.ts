import { createEventValidator, type EnvelopeCheck } from '@flotilla/platform';
import fc from 'fast-check';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { EVENT_SCHEMAS, EVENT_TYPES, eventEnvelopeSchema } from '../../src/index.js';
import { arbitraryOf } from '../support/schema-arbitrary.js';

const validator = createEventValidator(EVENT_SCHEMAS);
const runs = { numRuns: 500 };

/** The envelope schema of each event type, as published in the AsyncAPI document. */
const envelopeSchemas = EVENT_TYPES.map((type) => eventEnvelopeSchema(type, EVENT_SCHEMAS[type]));
const documented = new Map(
  EVENT_TYPES.map((type) => [type as string, Compile(eventEnvelopeSchema(type, EVENT_SCHEMAS[type]))]),
);
/** A valid envelope of any event type of the catalogue. */
const validEnvelope = fc.oneof(
  ...envelopeSchemas.map((schema) => arbitraryOf(schema) as fc.Arbitrary<Record<string, unknown>>),
);

/** Asserts a refusal the consumer can dead-letter with its reason (never a throw, never a silent pass). */
function expectRefused(check: EnvelopeCheck): void {
  expect(check.ok).toBe(false);
  if (check.ok) return;
  expect(check.reason.length).toBeGreaterThan(0);
  expect(check.errors.length).toBeGreaterThan(0);
  expect(check.errors.length).toBeLessThanOrEqual(10);
  for (const error of check.errors) expect(error.field).toMatch(/^\//);
}

const REQUIRED_FIELDS = [
  'event_id',
  'event_type',
  'event_version',
  'occurred_at',
  'producer',
  'request_id',
  'data',
];
const STRING_FIELDS = ['event_id', 'event_type', 'occurred_at', 'producer', 'request_id', 'user_id'];
const notAString = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
);
const notAVersion = fc.oneof(
  notAString.filter((value) => typeof value !== 'number'),
  fc.string(),
  fc.integer({ max: 0 }),
  fc.integer({ min: 1001 }),
  fc.double({ noNaN: true }).filter((value) => !Number.isInteger(value)),
);

describe('event envelopes of the catalogue', () => {
  it('are accepted when valid, for every event type, also after a trip through JSON', () => {
    fc.assert(
      fc.property(validEnvelope, (envelope) => {
        expect(documented.get(envelope.event_type as string)?.Check(envelope)).toBe(true);
        expect(validator.validate(envelope)).toEqual({ ok: true, envelope });
        const received = JSON.parse(JSON.stringify(envelope));
        expect(validator.validate(received).ok).toBe(true);
      }),
      runs,
    );
  });

  it('are refused with a reason when an envelope field is missing or of the wrong type', () => {
    const mutation = fc.oneof(
      fc.record({ drop: fc.constantFrom(...REQUIRED_FIELDS) }),
      fc.record({ field: fc.constantFrom(...STRING_FIELDS), value: notAString }),
      fc.record({ field: fc.constant('event_version'), value: notAVersion }),
      fc.record({ field: fc.constant('data'), value: notAString.filter((value) => !isObject(value)) }),
    );
    fc.assert(
      fc.property(validEnvelope, mutation, (envelope, change) => {
        const mutated = { ...envelope };
        if ('drop' in change) delete mutated[change.drop];
        else mutated[change.field] = change.value;
        expectRefused(validator.validate(mutated));
      }),
      runs,
    );
  });

  it('are refused with a reason for an unknown member, an unknown type, or data that breaks its schema', () => {
    const reserved = new Set([...REQUIRED_FIELDS, 'user_id']);
    const unknownType = fc
      .stringMatching(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/)
      .filter((type) => type.length <= 128 && !(type in EVENT_SCHEMAS));
    const mutation = fc.oneof(
      fc.record({ extra: fc.string().filter((key) => !reserved.has(key)), value: fc.jsonValue() }),
      fc.record({ type: fc.oneof(unknownType, fc.string()) }),
      fc.record({ dataExtra: fc.string({ minLength: 1 }), value: fc.jsonValue() }),
      fc.record({ dataDrop: fc.nat() }),
    );
    fc.assert(
      fc.property(validEnvelope, mutation, (envelope, change) => {
        const schema = EVENT_SCHEMAS[envelope.event_type as keyof typeof EVENT_SCHEMAS];
        // Computed keys make own members even of `__proto__`, as JSON.parse does.
        let data: Record<string, unknown> = { ...(envelope.data as Record<string, unknown>) };
        let mutated: Record<string, unknown> = { ...envelope };
        if ('extra' in change) mutated = { ...mutated, [change.extra]: change.value };
        else if ('type' in change) mutated.event_type = change.type;
        else if ('dataExtra' in change) {
          fc.pre(!Object.hasOwn(schema.properties, change.dataExtra));
          data = { ...data, [change.dataExtra]: change.value };
        } else {
          const required = schema.required as string[];
          delete data[required[change.dataDrop % required.length] as string];
        }
        expectRefused(validator.validate({ ...mutated, data }));
      }),
      runs,
    );
  });

  it('never make validation throw, whatever value or bytes arrive', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue()), (value) => {
        const check = validator.validate(value);
        if (!check.ok) expectRefused(check);
      }),
      runs,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
        } catch {
          return; // The consumer dead-letters a body that is not JSON before validating.
        }
        const check = validator.validate(parsed);
        if (!check.ok) expectRefused(check);
      }),
      runs,
    );
  });
});

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
