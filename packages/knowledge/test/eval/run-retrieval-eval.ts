import { extractText } from '../../src/extraction/extract-text.js';
import type { KnowledgeBase } from '../../src/knowledge-base.js';
import { type ChunkingOptions, splitText } from '../../src/splitting/split-text.js';
import { EVAL_DOCUMENTS, type EvalDocument } from './eval-documents.js';
import { EVAL_QUESTIONS, type EvalQuestion } from './eval-questions.js';

/** Recall at each k, and the mean reciprocal rank, over a set of questions. */
export interface RetrievalEvalReport {
  embedder: string;
  questions: number;
  /** Share of questions whose expected passage is among the first k results, by k. */
  recallAtK: Record<number, number>;
  /** Mean of 1/rank of the expected passage (0 when absent from the first max k). */
  mrr: number;
  /** Questions whose passage was not in the first max(k) results. */
  misses: string[];
}

/**
 * Ingests the evaluation documents for `ownerId` into `kb`, asks every question (retrieval only, the
 * answer is not judged) and measures whether the passage holding the answer was retrieved.
 */
export async function runRetrievalEval(
  kb: KnowledgeBase,
  ownerId: string,
  chunking: ChunkingOptions,
  options: {
    ks?: readonly number[];
    documents?: readonly EvalDocument[];
    questions?: readonly EvalQuestion[];
  } = {},
): Promise<RetrievalEvalReport> {
  const ks = [...(options.ks ?? [1, 3, 5])].sort((a, b) => a - b);
  const documents = options.documents ?? EVAL_DOCUMENTS;
  const questions = options.questions ?? EVAL_QUESTIONS;
  const maxK = ks.at(-1) ?? 5;
  const ids = new Map<string, string>();
  const chunkTexts = new Map<string, string[]>();
  for (const [i, document] of documents.entries()) {
    const documentId = `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`;
    ids.set(document.key, documentId);
    // The same extraction and splitting as ingestion: chunk i here is chunk i in the store.
    const limits = { maxBytes: 1e7, maxPages: 1000, maxChars: 1e7 };
    const extracted = await extractText(
      Buffer.from(document.text),
      { contentType: document.contentType },
      limits,
    );
    const chunks = await splitText(extracted.sections, extracted.format, chunking);
    chunkTexts.set(
      document.key,
      chunks.map((chunk) => chunk.text),
    );
    await kb.ingest({
      documentId,
      ownerId,
      title: document.title,
      contentType: document.contentType,
      content: Buffer.from(document.text),
    });
  }
  const hits = new Map<number, number>(ks.map((k) => [k, 0]));
  let reciprocal = 0;
  const misses: string[] = [];
  for (const question of questions) {
    const needle = question.needle.toLowerCase();
    const expected = new Set(
      (chunkTexts.get(question.document) ?? []).flatMap((text, index) =>
        text.toLowerCase().includes(needle) ? [index] : [],
      ),
    );
    if (expected.size === 0) throw new Error(`no chunk of ${question.document} holds "${question.needle}"`);
    const answer = await kb.ask({ ownerId, question: question.question, topK: maxK });
    const rank = answer.citations.findIndex(
      (citation) => citation.documentId === ids.get(question.document) && expected.has(citation.chunkIndex),
    );
    if (rank < 0) misses.push(question.question);
    else reciprocal += 1 / (rank + 1);
    for (const k of ks) if (rank >= 0 && rank < k) hits.set(k, (hits.get(k) ?? 0) + 1);
  }
  return {
    embedder: kb.embedder.id,
    questions: questions.length,
    recallAtK: Object.fromEntries(ks.map((k) => [k, (hits.get(k) ?? 0) / questions.length])),
    mrr: reciprocal / questions.length,
    misses,
  };
}
