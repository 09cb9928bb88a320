import { defineErrors } from '@flotilla/platform';

/** Failures of document ingestion that belong to the worker rather than to the knowledge base. */
export const documentErrors = defineErrors({
  BLOB_MISSING: {
    code: 'DOCUMENT.BLOB_MISSING',
    kind: 'not_found',
    title: 'The uploaded file of the document is gone',
  },
  RETRIES_EXHAUSTED: {
    code: 'DOCUMENT.RETRIES_EXHAUSTED',
    kind: 'unavailable',
    title: 'Ingestion kept failing for a temporary reason and was given up',
  },
});
