import { encodeCursor, PageQuery } from '@flotilla/contracts';
import { isDomainError } from '@flotilla/platform';
import fc from 'fast-check';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { decodePosition, encodePosition } from '../../src/db/keyset.js';

const pageQuery = Compile(PageQuery);
const runs = { numRuns: 1000 };

const position = fc.record({
  // Every instant a JavaScript Date can hold, not only plausible ones.
  createdAt: fc.date({ noInvalidDate: true }),
  id: fc.uuid(),
});

/** Decodes, and says whether the cursor was refused the documented way (422 on /query/cursor). */
function decodeOrRefusal(cursor: string): ReturnType<typeof decodePosition> | 'refused' {
  try {
    return decodePosition(cursor);
  } catch (error) {
    expect(isDomainError(error, 'REQUEST.VALIDATION'), String(error)).toBe(true);
    expect((error as { data?: { errors?: unknown } }).data?.errors).toEqual([
      { field: '/query/cursor', message: 'is not a cursor this service issued' },
    ]);
    return 'refused';
  }
}

describe('keyset cursors of data-postgres', () => {
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

  it('turn any string into a position or a validation error on /query/cursor, never another failure', () => {
    const base64url = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')),
      maxLength: 120,
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), base64url, fc.base64String()), (cursor) => {
        const decoded = decodeOrRefusal(cursor);
        if (decoded !== 'refused') {
          expect(Number.isNaN(decoded.createdAt.getTime())).toBe(false);
          expect(decoded.id).toMatch(/^[0-9a-f-]{36}$/i);
        }
      }),
      runs,
    );
  });

  it('refuse well-encoded JSON of any other shape', () => {
    const wrongShape = fc
      .jsonValue()
      .filter(
        (value) =>
          !(
            Array.isArray(value) &&
            value.length === 2 &&
            typeof value[0] === 'string' &&
            typeof value[1] === 'string'
          ),
      );
    fc.assert(
      fc.property(wrongShape, (value) => {
        expect(decodeOrRefusal(encodeCursor(value))).toBe('refused');
      }),
      runs,
    );
  });

  it('refuse a position whose date or id was tampered with', () => {
    const badDate = fc.string().filter((text) => Number.isNaN(new Date(text).getTime()));
    const badId = fc.string().filter((text) => !/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(text));
    fc.assert(
      fc.property(position, badDate, badId, fc.boolean(), (at, date, id, tamperDate) => {
        const forged = tamperDate ? [date, at.id] : [at.createdAt.toISOString(), id];
        expect(decodeOrRefusal(encodeCursor(forged))).toBe('refused');
      }),
      runs,
    );
  });
});
