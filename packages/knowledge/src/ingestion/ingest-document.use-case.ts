import type { Readable } from 'node:stream';
import type { Logger } from '@flotilla/platform';
import type { Span, Tracer } from '@opentelemetry/api';
import type { Embedder } from '../embeddings/embedder.port.js';
import { type ExtractionLimits, extractText } from '../extraction/extract-text.js';
import type { KnowledgeMetrics } from '../metrics/knowledge.metrics.js';
import { type ChunkingOptions, splitText } from '../splitting/split-text.js';
import { timed } from '../tracing/knowledge.tracing.js';
import { chunkId, type VectorRecord, type VectorStore } from '../vector-store/vector-store.port.js';
import { readBounded } from './read-bounded.js';

/** A document to ingest: who owns it, what it is, and its bytes (a buffer or a stream). */
export interface IngestDocumentInput {
  documentId: string;
  ownerId: string;
  title: string;
  contentType: string;
  /** Used to recognise the format when the content type is generic (`application/octet-stream`). */
  filename?: string;
  content: Uint8Array | Readable;
}

/** Progress of an ingestion: chunks embedded so far out of the document's total. */
export interface IngestProgress {
  embedded: number;
  total: number;
}

/** Options of one ingestion. */
export interface IngestDocumentOptions {
  /** Called after each embedding batch (and once with 0 of N before the first). */
  onProgress?: (progress: IngestProgress) => void | Promise<void>;
  signal?: AbortSignal;
}

/** What an ingestion did. */
export interface IngestDocumentResult {
  chunkCount: number;
  characters: number;
  /** Pages of a PDF; absent for formats without pages. */
  pages?: number;
  format: string;
  embedder: string;
  /** Time spent embedding, in ms (the rest is extraction, splitting and storage). */
  embeddingMs: number;
  durationMs: number;
}

/** Ingests one document. Re-ingesting (or a redelivery) writes the same ids and leaves no stale chunk. */
export type IngestDocument = (
  input: IngestDocumentInput,
  options?: IngestDocumentOptions,
) => Promise<IngestDocumentResult>;

/** Dependencies of {@link createIngestDocument}. */
export interface IngestDocumentDeps {
  embedder: Embedder;
  store: VectorStore;
  limits: ExtractionLimits;
  chunking: ChunkingOptions;
  metrics: KnowledgeMetrics;
  /** Spans `knowledge.ingest` > `knowledge.extract`, `.split`, `.embed`, `.store`. */
  tracer: Tracer;
  logger: Logger;
}

/**
 * Creates the ingestion use case: bytes -> text (txt, md, pdf, docx) -> overlapping chunks -> vectors
 * -> upsert into the owner's collection with ids `<document id>:<chunk index>`, then removal of chunks
 * past the new end (a shorter new version leaves nothing behind).
 */
export function createIngestDocument(deps: IngestDocumentDeps): IngestDocument {
  const { metrics } = deps;
  return (input, options = {}) => {
    const attributes = {
      'knowledge.document_id': input.documentId,
      'knowledge.content_type': input.contentType,
      'knowledge.embedder': deps.embedder.id,
    };
    return timed(deps.tracer, 'knowledge.ingest', { attributes }, async (span) => {
      const stop = metrics.ingestDuration.startTimer();
      try {
        const result = await ingest(deps, input, options, span);
        metrics.ingestions.inc({ outcome: 'indexed' });
        stop({ outcome: 'indexed' });
        return result;
      } catch (error) {
        metrics.ingestions.inc({ outcome: 'failed' });
        stop({ outcome: 'failed' });
        throw error;
      }
    });
  };
}

async function ingest(
  deps: IngestDocumentDeps,
  input: IngestDocumentInput,
  options: IngestDocumentOptions,
  span: Span,
): Promise<IngestDocumentResult> {
  const { embedder, tracer } = deps;
  const started = performance.now();
  const extracted = await timed(tracer, 'knowledge.extract', {}, async (step) => {
    const bytes = await readBounded(input.content, deps.limits.maxBytes);
    const text = await extractText(
      bytes,
      { contentType: input.contentType, ...(input.filename ? { filename: input.filename } : {}) },
      deps.limits,
    );
    step.setAttribute('knowledge.format', text.format);
    return text;
  });
  const chunks = await timed(tracer, 'knowledge.split', {}, () =>
    splitText(extracted.sections, extracted.format, deps.chunking),
  );
  span.setAttribute('knowledge.chunks', chunks.length);
  await options.onProgress?.({ embedded: 0, total: chunks.length });
  const embeddingStarted = performance.now();
  const vectors = await timed(
    tracer,
    'knowledge.embed',
    {
      attributes: { 'knowledge.embedder': embedder.id, 'knowledge.texts': chunks.length },
      histogram: deps.metrics.embeddingDuration,
      labels: { operation: 'documents', embedder: embedder.id },
    },
    () =>
      embedder.embedDocuments(
        chunks.map((chunk) => chunk.text),
        {
          onProgress: (embedded, total) => options.onProgress?.({ embedded, total }),
          ...(options.signal ? { signal: options.signal } : {}),
        },
      ),
  );
  const embeddingMs = performance.now() - embeddingStarted;
  const records: VectorRecord[] = chunks.map((chunk, i) => ({
    id: chunkId(input.documentId, chunk.index),
    embedding: vectors[i] as number[],
    text: chunk.text,
    metadata: {
      document_id: input.documentId,
      owner_id: input.ownerId,
      chunk_index: chunk.index,
      title: input.title,
      page: chunk.page ?? 0,
    },
  }));
  options.signal?.throwIfAborted();
  const dimension = records[0]?.embedding.length ?? 0;
  await timed(tracer, 'knowledge.store', { attributes: { 'knowledge.chunks': records.length } }, async () => {
    await deps.store.upsert(input.ownerId, { embedder: embedder.id, dimension }, records);
    await deps.store.deleteDocument(input.ownerId, input.documentId, records.length);
  });
  deps.metrics.chunksIndexed.inc(records.length);
  const durationMs = performance.now() - started;
  deps.logger.info(
    {
      document_id: input.documentId,
      chunks: records.length,
      format: extracted.format,
      duration_ms: Math.round(durationMs),
    },
    'document ingested',
  );
  return {
    chunkCount: records.length,
    characters: extracted.characters,
    ...(extracted.pages === undefined ? {} : { pages: extracted.pages }),
    format: extracted.format,
    embedder: embedder.id,
    embeddingMs,
    durationMs,
  };
}
