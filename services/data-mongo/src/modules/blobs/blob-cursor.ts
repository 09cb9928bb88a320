import { decodeCursor, encodeCursor } from '@flotilla/contracts';
import { blobErrors } from './blobs.errors.js';
import type { BlobPosition } from './blobs.store.js';

/** Milliseconds from the epoch to the last instant a Date can hold (ECMAScript's time value range). */
const MAX_TIME_MS = 8.64e15;

/** The opaque cursor of a position in the listing by age: `{ t, id }` as base64url JSON. */
export function encodeBlobPosition(position: BlobPosition): string {
  return encodeCursor({ t: position.createdAt.getTime(), id: position.id });
}

/**
 * Reads a cursor made by {@link encodeBlobPosition}; anything else (garbage, another shape, a time no Date
 * can hold) is a 422 `BLOB.INVALID_CURSOR`.
 */
export function decodeBlobPosition(cursor: string): BlobPosition {
  const value = decodeCursor<{ t?: unknown; id?: unknown }>(cursor);
  if (
    typeof value?.t !== 'number' ||
    !Number.isSafeInteger(value.t) ||
    Math.abs(value.t) > MAX_TIME_MS ||
    typeof value.id !== 'string' ||
    value.id.length === 0 ||
    value.id.length > 64
  ) {
    throw blobErrors.INVALID_CURSOR({ detail: 'Use the `next_cursor` of a previous page, unchanged.' });
  }
  return { createdAt: new Date(value.t), id: value.id };
}
