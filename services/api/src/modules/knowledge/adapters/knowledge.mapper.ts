import type { KnowledgeDocument } from '@flotilla/contracts';
import type { AskResult } from '@flotilla/knowledge';
import type { DocumentView } from './knowledge.schemas.js';

/** A document as its owner sees it. */
export function toDocumentView(document: KnowledgeDocument): DocumentView {
  return {
    id: document.id,
    title: document.title,
    content_type: document.content_type,
    status: document.status,
    chunk_count: document.chunk_count,
    error: document.error,
    job_id: document.source_job_id,
    created_at: document.created_at,
    updated_at: document.updated_at,
    indexed_at: document.indexed_at,
  };
}

/** An answer on the wire (snake_case). */
export function toAskReply(result: AskResult) {
  return {
    mode: result.mode,
    answer: result.answer,
    citations: result.citations.map((citation) => ({
      document_id: citation.documentId,
      title: citation.title,
      chunk_index: citation.chunkIndex,
      ...(citation.page !== undefined && { page: citation.page }),
      score: citation.score,
      snippet: citation.snippet,
    })),
    model: result.model,
    prompt_version: result.promptVersion,
    embedder: result.embedder,
  };
}
