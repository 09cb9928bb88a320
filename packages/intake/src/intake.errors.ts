import { defineErrors } from '@flotilla/platform';

/** Errors of an upload, whoever receives it (the api's multipart route, the bot's file handler). */
export const uploadErrors = defineErrors({
  TOO_LARGE: { code: 'MEDIA.TOO_LARGE', kind: 'too_large', title: 'The file is too large' },
  UNSUPPORTED_TYPE: {
    code: 'MEDIA.UNSUPPORTED_TYPE',
    kind: 'unsupported',
    title: 'This type of file is not supported here',
  },
  NO_FILE: { code: 'MEDIA.NO_FILE', kind: 'bad_request', title: 'The request carries no file' },
  EMPTY_FILE: { code: 'MEDIA.EMPTY_FILE', kind: 'invalid', title: 'The file is empty' },
  UPLOAD_INCOMPLETE: {
    code: 'MEDIA.UPLOAD_INCOMPLETE',
    kind: 'bad_request',
    title: 'The upload ended before the whole file was received',
  },
});

/** Errors of `Idempotency-Key` handling, declared once for every write that takes one. */
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
