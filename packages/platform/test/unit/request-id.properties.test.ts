import fc from 'fast-check';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { resolveRequestId } from '../../src/context/request-context.js';

// The envelope's `request_id` rule: whatever the HTTP edge keeps must be publishable in an event.
const EnvelopeRequestId = Compile(
  Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:@/+=-]+$' }),
);
const SAFE_CHARACTER = /^[A-Za-z0-9._:@/+=-]$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Any UTF-16 code unit, lone surrogates included (a header value is not necessarily well-formed). */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const anyText = fc.oneof(
  fc.string({ unit: anyCodeUnit, maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ maxLength: 300 }),
);
const safeId = fc.string({
  unit: fc.constantFrom(...'ABCxyz0189._:@/+=-'.split('')),
  minLength: 1,
  maxLength: 128,
});
const header = fc.oneof(
  fc.constant(undefined),
  anyText,
  safeId,
  fc.array(fc.oneof(anyText, safeId), { maxLength: 3 }),
);

const runs = { numRuns: 1000 };

describe('the request id taken from X-Request-Id', () => {
  it('is always short, made of safe characters and accepted in an event envelope, whatever the header', () => {
    fc.assert(
      fc.property(header, (inbound) => {
        const id = resolveRequestId(inbound);
        expect(id.length).toBeGreaterThan(0);
        expect(id.length).toBeLessThanOrEqual(128);
        expect([...id].every((character) => SAFE_CHARACTER.test(character))).toBe(true);
        expect(EnvelopeRequestId.Check(id)).toBe(true);
      }),
      runs,
    );
  });

  it('keeps a valid inbound id exactly as sent (the first one when the header repeats)', () => {
    fc.assert(
      fc.property(safeId, fc.array(anyText, { maxLength: 2 }), (id, others) => {
        expect(resolveRequestId(id)).toBe(id);
        expect(resolveRequestId([id, ...others])).toBe(id);
      }),
      runs,
    );
  });

  it('replaces an id with any unsafe character, or one over 128 characters, with a fresh UUID', () => {
    const unsafe = fc
      .tuple(safeId, anyCodeUnit, safeId)
      .filter(([, character]) => !SAFE_CHARACTER.test(character))
      .map(([before, character, after]) => `${before}${character}${after}`);
    const tooLong = fc.string({ unit: fc.constantFrom('a', '1', '-'), minLength: 129, maxLength: 400 });
    fc.assert(
      fc.property(fc.oneof(unsafe, tooLong, fc.constant('')), (inbound) => {
        const id = resolveRequestId(inbound);
        expect(id).toMatch(UUID);
        expect(id).not.toBe(inbound);
      }),
      runs,
    );
  });

  it('gives a new id each time one is generated', () => {
    fc.assert(
      fc.property(fc.constantFrom(undefined, '', 'bad id', []), (inbound) => {
        expect(resolveRequestId(inbound)).not.toBe(resolveRequestId(inbound));
      }),
      { numRuns: 200 },
    );
  });
});
