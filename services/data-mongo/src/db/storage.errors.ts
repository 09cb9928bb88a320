import { defineErrors } from '@flotilla/platform';

/** Errors of data-mongo's storage itself. */
export const storageErrors = defineErrors({
  UNAVAILABLE: { code: 'STORAGE.UNAVAILABLE', kind: 'unavailable', title: 'The database is unavailable' },
});
