import { defineErrors } from '@flotilla/platform';

/** Errors of uploads and media jobs, with stable codes. */
export const mediaErrors = defineErrors({
  NOT_FOUND: { code: 'MEDIA.NOT_FOUND', kind: 'not_found', title: 'No such media job' },
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
  FILE_NOT_READY: {
    code: 'MEDIA.FILE_NOT_READY',
    kind: 'not_found',
    title: 'The job has no such file (yet)',
  },
  DOCUMENT_JOB: {
    code: 'MEDIA.DOCUMENT_JOB',
    kind: 'conflict',
    title: 'This job belongs to a knowledge-base document',
  },
  INVALID_CURSOR: { code: 'PAGE.INVALID_CURSOR', kind: 'invalid', title: 'The cursor is not valid' },
  RANGE_NOT_SATISFIABLE: {
    code: 'MEDIA.RANGE_NOT_SATISFIABLE',
    kind: 'bad_request',
    title: 'The requested range is not satisfiable',
  },
  IDEMPOTENCY_MISMATCH: {
    code: 'IDEMPOTENCY.KEY_REUSED',
    kind: 'invalid',
    title: 'This Idempotency-Key was used with another request',
  },
  IDEMPOTENCY_UNAVAILABLE: {
    code: 'IDEMPOTENCY.UNAVAILABLE',
    kind: 'unavailable',
    title: 'Idempotency keys cannot be checked right now; retry shortly',
  },
  IDEMPOTENCY_IN_PROGRESS: {
    code: 'IDEMPOTENCY.IN_PROGRESS',
    kind: 'conflict',
    title: 'A request with this Idempotency-Key is still being processed',
  },
});
