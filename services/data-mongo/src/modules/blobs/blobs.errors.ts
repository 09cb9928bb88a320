import { defineErrors } from '@flotilla/platform';

/** Errors of the blob endpoints. */
export const blobErrors = defineErrors({
  NOT_FOUND: { code: 'BLOB.NOT_FOUND', kind: 'not_found', title: 'No such blob' },
  TOO_LARGE: { code: 'BLOB.TOO_LARGE', kind: 'too_large', title: 'The file is too large' },
  UPLOAD_INCOMPLETE: {
    code: 'BLOB.UPLOAD_INCOMPLETE',
    kind: 'bad_request',
    title: 'The upload ended before the whole file was received',
  },
  INVALID_CURSOR: { code: 'BLOB.INVALID_CURSOR', kind: 'invalid', title: 'The cursor is not valid' },
  // No error kind maps to 416: the route sends this one with status 416 itself.
  RANGE_NOT_SATISFIABLE: {
    code: 'BLOB.RANGE_NOT_SATISFIABLE',
    kind: 'bad_request',
    title: 'The requested range is not satisfiable',
  },
});
