import { decodeCursor, encodeCursor } from '@flotilla/contracts';
import { isUuid } from '@flotilla/platform';
import { analyticsErrors } from './analytics.errors.js';
import type { EventPosition } from './events.repository.js';

/** Milliseconds from the epoch to the last instant a Date can hold (ECMAScript's time value range). */
const MAX_TIME_MS = 8.64e15;

/** The opaque cursor of a position in the event list: `{ t, id }` as base64url JSON. */
export function encodePosition(position: EventPosition): string {
  return encodeCursor({ t: position.occurredAt.getTime(), id: position.id });
}

/**
 * Reads a cursor made by {@link encodePosition}; anything else (garbage, another shape, a time no Date can
 * hold) is a 422 `ANALYTICS.INVALID_CURSOR`.
 */
export function decodePosition(cursor: string): EventPosition {
  const value = decodeCursor<{ t?: unknown; id?: unknown }>(cursor);
  if (
    typeof value?.t !== 'number' ||
    !Number.isSafeInteger(value.t) ||
    Math.abs(value.t) > MAX_TIME_MS ||
    !isUuid(value.id)
  ) {
    throw analyticsErrors.INVALID_CURSOR({ detail: 'Use the `next_cursor` of a previous page, unchanged.' });
  }
  return { occurredAt: new Date(value.t), id: value.id };
}
