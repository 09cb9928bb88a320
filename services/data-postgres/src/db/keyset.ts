import { decodeCursor, encodeCursor } from '@flotilla/contracts';
import { platformErrors } from '@flotilla/platform';

/** A position in a list ordered newest first by `(created_at, id)`. */
export interface Position {
  createdAt: Date;
  id: string;
}

/** A page as repositories return it: rows and the position after the last one (null at the end). */
export interface KeysetPage<T> {
  items: T[];
  next: Position | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The opaque cursor of a position. */
export function encodePosition(position: Position): string {
  return encodeCursor([position.createdAt.toISOString(), position.id]);
}

/** Reads a cursor made by {@link encodePosition}; a forged or damaged one is a 422 on `/query/cursor`. */
export function decodePosition(cursor: string): Position {
  const value = decodeCursor<unknown>(cursor);
  if (Array.isArray(value) && value.length === 2) {
    const [at, id] = value as [unknown, unknown];
    const createdAt = typeof at === 'string' ? new Date(at) : undefined;
    if (createdAt && !Number.isNaN(createdAt.getTime()) && typeof id === 'string' && UUID.test(id)) {
      return { createdAt, id };
    }
  }
  throw platformErrors.VALIDATION({
    detail: '/query/cursor is not a cursor this service issued',
    data: { errors: [{ field: '/query/cursor', message: 'is not a cursor this service issued' }] },
  });
}

/**
 * Cuts a page from rows fetched with `limit + 1`: the extra row only tells that more follow. Ordering by
 * the immutable `(created_at, id)` pair means every row present when the listing started is returned
 * exactly once, whatever is inserted meanwhile.
 */
export function takePage<T extends Position>(rows: T[], limit: number): KeysetPage<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null };
}
