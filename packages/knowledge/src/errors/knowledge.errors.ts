import { type DomainError, defineErrors, isDomainError } from '@flotilla/platform';

/**
 * Errors of the knowledge base. `permanent` ones (no text, unsupported, too large, embedder mismatch)
 * fail a document for good; `PROVIDER_*` and `STORE_UNAVAILABLE` are worth a retry later.
 */
export const knowledgeErrors = defineErrors({
  NO_TEXT: { code: 'KNOWLEDGE.NO_TEXT', kind: 'invalid', title: 'The document contains no extractable text' },
  UNSUPPORTED_TYPE: {
    code: 'KNOWLEDGE.UNSUPPORTED_TYPE',
    kind: 'unsupported',
    title: 'This document type is not supported (txt, md, pdf, docx)',
  },
  UNREADABLE: {
    code: 'KNOWLEDGE.UNREADABLE',
    kind: 'invalid',
    title: 'The document could not be read (corrupt or encrypted)',
  },
  TOO_LARGE: { code: 'KNOWLEDGE.TOO_LARGE', kind: 'too_large', title: 'The document is too large' },
  EMBEDDER_MISMATCH: {
    code: 'KNOWLEDGE.EMBEDDER_MISMATCH',
    kind: 'conflict',
    title: "The owner's collection was built with another embedder",
  },
  PROVIDER_UNAVAILABLE: {
    code: 'KNOWLEDGE.PROVIDER_UNAVAILABLE',
    kind: 'unavailable',
    title: 'The language model provider is unavailable',
  },
  PROVIDER_REJECTED: {
    code: 'KNOWLEDGE.PROVIDER_REJECTED',
    kind: 'unavailable',
    title: 'The language model provider refused the request (check the key and the model)',
  },
  STORE_UNAVAILABLE: {
    code: 'KNOWLEDGE.STORE_UNAVAILABLE',
    kind: 'unavailable',
    title: 'The vector store is unavailable',
  },
  QUESTION_TOO_LONG: {
    code: 'KNOWLEDGE.QUESTION_TOO_LONG',
    kind: 'invalid',
    title: 'The question is too long',
  },
  INVALID_QUESTION: { code: 'KNOWLEDGE.INVALID_QUESTION', kind: 'invalid', title: 'The question is empty' },
});

const TRANSIENT_CODES = new Set<string>([
  knowledgeErrors.PROVIDER_UNAVAILABLE.definition.code,
  knowledgeErrors.STORE_UNAVAILABLE.definition.code,
  // A refused key or model is a configuration fault: retried (the operator may fix it), never failed at once.
  knowledgeErrors.PROVIDER_REJECTED.definition.code,
]);

/**
 * True when a knowledge error will not go away by itself: the document must be failed, not retried.
 * Unknown errors are not permanent (a retry, then the dead-letter queue, decide).
 */
export function isPermanentKnowledgeError(error: unknown): error is DomainError {
  return isDomainError(error) && error.code.startsWith('KNOWLEDGE.') && !TRANSIENT_CODES.has(error.code);
}
