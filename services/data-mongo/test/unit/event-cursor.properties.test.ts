import { encodeCursor, PageQuery } from '@flotilla/contracts';
import { isDomainError } from '@flotilla/platform';
import fc from 'fast-check';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { decodePosition, encodePosition } from '../../src/modules/analytics/event-cursor.js';

const pageQuery = Compile(PageQuery);
const runs = { numRuns: 1000 };

const position = fc.record({
  occurredAt: fc.date({ noInvalidDate: true }),
  id: fc.uuid(),
});

/** Decodes, and says whether the cursor was refused the documented way (422 ANALYTICS.INVALID_CURSOR). */
function decodeOrRefusal(cursor: string): ReturnType<typeof decodePosition> | 'refused' {
  try {
    return decodePosition(cursor);
  } catch (error) {
    expect(isDomainError(error, 'ANALYTICS.INVALID_CURSOR'), String(error)).toBe(true);
    return 'refused';
  }
}

describe('event list cursors of data-mongo', () => {
  it('give back the position they were made from, and fit the page query', () => {
    fc.assert(
      fc.property(position, (at) => {
        const cursor = encodePosition(at);
        expect(pageQuery.Check({ cursor })).toBe(true);
        expect(decodePosition(cursor)).toEqual(at);
      }),
      runs,
    );
  });

  it('turn any string into a real position or ANALYTICS.INVALID_CURSOR, never another failure', () => {
    const base64url = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')),
      maxLength: 120,
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), base64url, fc.base64String()), (cursor) => {
        const decoded = decodeOrRefusal(cursor);
        if (decoded !== 'refused') expect(Number.isNaN(decoded.occurredAt.getTime())).toBe(false);
      }),
      runs,
    );
  });

  it('refuse a time no Date can hold instead of reading it as 1970 (regression)', () => {
    // 8.64e15 ms is the end of the Date range; a safe integer past it used to become an Invalid Date,
    // which the MongoDB driver serialises as the epoch: a silently empty page instead of a 422.
    const outOfRange = fc.oneof(
      fc.integer({ min: 8.64e15 + 1, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: -8.64e15 - 1 }),
    );
    fc.assert(
      fc.property(outOfRange, fc.uuid(), (t, id) => {
        expect(decodeOrRefusal(encodeCursor({ t, id }))).toBe('refused');
      }),
      runs,
    );
  });

  it('refuse well-encoded JSON of any other shape, and tampered times or ids', () => {
    const notSafeInteger = fc.oneof(
      fc.double().filter((t) => !Number.isSafeInteger(t)),
      fc.string(),
      fc.constant(null),
      fc.boolean(),
    );
    const badId = fc.string().filter((text) => !/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(text));
    const forged = fc.oneof(
      fc.jsonValue().filter((value) => typeof value !== 'object' || value === null || Array.isArray(value)),
      fc.record({ t: notSafeInteger, id: fc.uuid() }),
      fc.record({ t: fc.integer(), id: badId }),
    );
    fc.assert(
      fc.property(forged, (value) => {
        expect(decodeOrRefusal(encodeCursor(value))).toBe('refused');
      }),
      runs,
    );
  });
});
