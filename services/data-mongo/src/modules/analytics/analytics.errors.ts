import { defineErrors } from '@flotilla/platform';

/** Errors of the analytics endpoints. */
export const analyticsErrors = defineErrors({
  BATCH_TOO_LARGE: {
    code: 'ANALYTICS.BATCH_TOO_LARGE',
    kind: 'too_large',
    title: 'Too many events in one batch',
  },
  INVALID_EVENT: {
    code: 'ANALYTICS.INVALID_EVENT',
    kind: 'invalid',
    title: 'An event cannot be recorded',
  },
  INVALID_CURSOR: {
    code: 'ANALYTICS.INVALID_CURSOR',
    kind: 'invalid',
    title: 'The cursor is not valid',
  },
  INVALID_RANGE: {
    code: 'ANALYTICS.INVALID_RANGE',
    kind: 'invalid',
    title: 'The time range is not valid',
  },
});
