import { KnowledgeDocumentErrorCode } from '@flotilla/contracts';
import { defineErrors } from '@flotilla/platform';

/** Failures of knowledge-base document operations; codes come from the contract. */
export const documentErrors = defineErrors({
  NOT_FOUND: { code: KnowledgeDocumentErrorCode.NOT_FOUND, kind: 'not_found', title: 'No such document' },
  ALREADY_EXISTS: {
    code: KnowledgeDocumentErrorCode.ALREADY_EXISTS,
    kind: 'conflict',
    title: 'The document exists already',
  },
  OWNER_NOT_FOUND: {
    code: KnowledgeDocumentErrorCode.OWNER_NOT_FOUND,
    kind: 'invalid',
    title: 'The document names no existing owner',
  },
  SOURCE_JOB_NOT_FOUND: {
    code: KnowledgeDocumentErrorCode.SOURCE_JOB_NOT_FOUND,
    kind: 'invalid',
    title: 'The document names no existing media job',
  },
});
