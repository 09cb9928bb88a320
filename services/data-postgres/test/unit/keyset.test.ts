import { encodeCursor } from '@flotilla/contracts';
import { isDomainError } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import { decodePosition, encodePosition, takePage } from '../../src/db/keyset.js';

const id = (n: number) => `0190a6e4-0000-7000-8000-${String(n).padStart(12, '0')}`;

describe('keyset cursors', () => {
  it('round-trip a position', () => {
    const position = { createdAt: new Date('2026-11-24T16:00:00.123Z'), id: id(1) };
    expect(decodePosition(encodePosition(position))).toEqual(position);
  });

  it.each([
    ['not base64 JSON', 'bm90IGpzb24'],
    ['a wrong shape', encodeCursor({ created_at: '2026-01-01T00:00:00Z', id: id(1) })],
    ['a bad date', encodeCursor(['yesterday', id(1)])],
    ['a bad id', encodeCursor(['2026-01-01T00:00:00.000Z', "1' or '1'='1"])],
  ])('reject %s as a validation error on /query/cursor', (_name, cursor) => {
    try {
      decodePosition(cursor);
      expect.unreachable();
    } catch (error) {
      expect(isDomainError(error, 'REQUEST.VALIDATION')).toBe(true);
      expect((error as { data?: { errors?: unknown } }).data?.errors).toEqual([
        { field: '/query/cursor', message: 'is not a cursor this service issued' },
      ]);
    }
  });
});

describe('taking a page from limit + 1 rows', () => {
  const rows = [1, 2, 3].map((n) => ({ id: id(n), createdAt: new Date(1_000 * n) }));

  it('points past the last item when more rows follow', () => {
    expect(takePage(rows, 2)).toEqual({
      items: rows.slice(0, 2),
      next: { createdAt: rows[1]?.createdAt, id: id(2) },
    });
  });

  it('has no next position on the last page', () => {
    expect(takePage(rows, 3)).toEqual({ items: rows, next: null });
    expect(takePage([], 3)).toEqual({ items: [], next: null });
  });
});
