import { Counter, Histogram, type Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The knowledge base's Prometheus metrics (labels are bounded: stages, modes, outcomes, model names from config). */
export interface KnowledgeMetrics {
  /** Embedding latency, by `operation` (`documents`, `query`) and `embedder`. */
  embeddingDuration: Histogram<'operation' | 'embedder'>;
  /** Retrieval latency (vector query, plus MMR when asked). */
  retrievalDuration: Histogram<'mmr'>;
  /** Answer latency, by `mode` (`generative`, `extractive`). */
  generationDuration: Histogram<'mode'>;
  /** Tokens reported by the provider, by `kind` (`input`, `output`) and `model`. */
  tokens: Counter<'kind' | 'model'>;
  /** Questions answered, by `mode` and `context` (`found`, `empty`): the empty-context rate. */
  asks: Counter<'mode' | 'context'>;
  /** Documents ingested, by `outcome` (`indexed`, `failed`). */
  ingestions: Counter<'outcome'>;
  /** Whole-ingestion latency (extraction to upsert). */
  ingestDuration: Histogram<'outcome'>;
  /** Chunks written to the vector store. */
  chunksIndexed: Counter<never>;
}

function single<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Registers (once per registry) and returns the knowledge metrics. */
export function knowledgeMetrics(registry: Registry): KnowledgeMetrics {
  const registers = [registry];
  return {
    embeddingDuration: single(
      registry,
      'knowledge_embedding_duration_seconds',
      () =>
        new Histogram({
          name: 'knowledge_embedding_duration_seconds',
          help: 'Time to embed texts, by operation and embedder.',
          labelNames: ['operation', 'embedder'],
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    retrievalDuration: single(
      registry,
      'knowledge_retrieval_duration_seconds',
      () =>
        new Histogram({
          name: 'knowledge_retrieval_duration_seconds',
          help: 'Time to retrieve passages from the vector store.',
          labelNames: ['mmr'],
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    generationDuration: single(
      registry,
      'knowledge_generation_duration_seconds',
      () =>
        new Histogram({
          name: 'knowledge_generation_duration_seconds',
          help: 'Time to write an answer from the retrieved passages, by mode.',
          labelNames: ['mode'],
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    tokens: single(
      registry,
      'knowledge_llm_tokens_total',
      () =>
        new Counter({
          name: 'knowledge_llm_tokens_total',
          help: 'Tokens used by the chat model, as reported by the provider.',
          labelNames: ['kind', 'model'],
          registers,
        }),
    ),
    asks: single(
      registry,
      'knowledge_ask_total',
      () =>
        new Counter({
          name: 'knowledge_ask_total',
          help: 'Questions answered, by mode and whether any passage was found (empty-context rate).',
          labelNames: ['mode', 'context'],
          registers,
        }),
    ),
    ingestions: single(
      registry,
      'knowledge_ingestions_total',
      () =>
        new Counter({
          name: 'knowledge_ingestions_total',
          help: 'Documents ingested, by outcome.',
          labelNames: ['outcome'],
          registers,
        }),
    ),
    ingestDuration: single(
      registry,
      'knowledge_ingest_duration_seconds',
      () =>
        new Histogram({
          name: 'knowledge_ingest_duration_seconds',
          help: 'Time to ingest one document (extraction, splitting, embedding, upsert), by outcome.',
          labelNames: ['outcome'],
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    chunksIndexed: single(
      registry,
      'knowledge_chunks_indexed_total',
      () =>
        new Counter({
          name: 'knowledge_chunks_indexed_total',
          help: 'Chunks written to the vector store.',
          registers,
        }),
    ),
  };
}
