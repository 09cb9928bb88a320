import { defineErrors } from '@flotilla/platform';

/** Errors of the knowledge-base routes (the knowledge package raises its own `KNOWLEDGE.*` errors too). */
export const documentErrors = defineErrors({
  NOT_FOUND: { code: 'DOCUMENT.NOT_FOUND', kind: 'not_found', title: 'No such document' },
});
