import { defineErrors } from '@flotilla/platform';

/** Errors of media jobs, with stable codes (uploads raise `@flotilla/intake`'s). */
export const mediaErrors = defineErrors({
  NOT_FOUND: { code: 'MEDIA.NOT_FOUND', kind: 'not_found', title: 'No such media job' },
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
  RANGE_NOT_SATISFIABLE: {
    code: 'MEDIA.RANGE_NOT_SATISFIABLE',
    kind: 'bad_request',
    title: 'The requested range is not satisfiable',
  },
});
