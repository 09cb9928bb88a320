import { MediaJobErrorCode } from '@flotilla/contracts';
import { defineErrors } from '@flotilla/platform';

/** Failures of media job operations; codes come from the contract. */
export const mediaJobErrors = defineErrors({
  NOT_FOUND: { code: MediaJobErrorCode.NOT_FOUND, kind: 'not_found', title: 'No such media job' },
  ALREADY_EXISTS: {
    code: MediaJobErrorCode.ALREADY_EXISTS,
    kind: 'conflict',
    title: 'The media job exists already',
  },
  OWNER_NOT_FOUND: {
    code: MediaJobErrorCode.OWNER_NOT_FOUND,
    kind: 'invalid',
    title: 'The media job names no existing owner',
  },
  ILLEGAL_TRANSITION: {
    code: MediaJobErrorCode.ILLEGAL_TRANSITION,
    kind: 'conflict',
    title: "The media job's status does not allow this transition",
  },
  ALREADY_LEASED: {
    code: MediaJobErrorCode.ALREADY_LEASED,
    kind: 'conflict',
    title: 'Another worker holds the lease of this media job',
  },
  LEASE_LOST: {
    code: MediaJobErrorCode.LEASE_LOST,
    kind: 'conflict',
    title: 'The caller no longer holds the lease of this media job',
  },
  ATTEMPTS_EXHAUSTED: {
    code: MediaJobErrorCode.ATTEMPTS_EXHAUSTED,
    kind: 'conflict',
    title: 'The media job has used all its attempts',
  },
  LEASE_ACTIVE: {
    code: MediaJobErrorCode.LEASE_ACTIVE,
    kind: 'conflict',
    title: 'The lease of this media job has not expired',
  },
});
