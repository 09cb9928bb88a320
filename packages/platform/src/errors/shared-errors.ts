import { defineErrors } from './domain-error.js';

/**
 * `Idempotency-Key` errors, declared once for every write that takes a key: the api's JSON routes and
 * the uploads of `@flotilla/intake`.
 */
export const idempotencyErrors = defineErrors({
  KEY_INVALID: {
    code: 'IDEMPOTENCY.KEY_INVALID',
    kind: 'bad_request',
    title: 'Idempotency-Key must be 1-255 printable ASCII characters',
  },
  KEY_REUSED: {
    code: 'IDEMPOTENCY.KEY_REUSED',
    kind: 'invalid',
    title: 'This Idempotency-Key was used with a different request',
  },
  IN_PROGRESS: {
    code: 'IDEMPOTENCY.IN_PROGRESS',
    kind: 'conflict',
    title: 'A request with this Idempotency-Key is still in progress',
  },
  UNAVAILABLE: {
    code: 'IDEMPOTENCY.UNAVAILABLE',
    kind: 'unavailable',
    title: 'Idempotency keys cannot be checked right now; retry shortly',
  },
});

/** Errors of cursor pagination, shared by every list. */
export const pageErrors = defineErrors({
  INVALID_CURSOR: { code: 'PAGE.INVALID_CURSOR', kind: 'invalid', title: 'The cursor is not valid' },
});

/**
 * Errors about a file that more than one service raises with the same code: an upload above its limit
 * (api, bot) and an original above what the worker reads.
 */
export const fileErrors = defineErrors({
  TOO_LARGE: { code: 'MEDIA.TOO_LARGE', kind: 'too_large', title: 'The file is too large' },
});
