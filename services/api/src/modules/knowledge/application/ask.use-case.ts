import type { AskResult } from '@flotilla/knowledge';
import type { KnowledgeQueries } from './knowledge.ports.js';

/** A user's question about their own documents. */
export interface AskQuestionInput {
  ownerId: string;
  question: string;
  topK?: number;
  documentIds?: readonly string[];
  signal?: AbortSignal;
}

/**
 * Answers from the asker's own documents only (their collection): retrieval, then the provider's model,
 * or offline an extractive answer labelled `mode: "extractive"`. The knowledge package bounds the
 * question (`KNOWLEDGE.QUESTION_TOO_LONG`) and `top_k`.
 */
export function createAskQuestion(deps: { knowledge: Pick<KnowledgeQueries, 'ask'> }) {
  return function askQuestion(input: AskQuestionInput): Promise<AskResult> {
    return deps.knowledge.ask({
      ownerId: input.ownerId,
      question: input.question,
      ...(input.topK !== undefined && { topK: input.topK }),
      ...(input.documentIds !== undefined &&
        input.documentIds.length > 0 && { documentIds: input.documentIds }),
      ...(input.signal && { signal: input.signal }),
    });
  };
}
