import { type Logger, readPackageVersion } from '@flotilla/platform';
import type { Registry } from 'prom-client';
import { type Ask, createAsk } from './answering/ask.use-case.js';
import type { ChatModel } from './answering/chat-model.port.js';
import { createOpenAICompatibleChatModel } from './answering/openai-compatible.chat-model.js';
import type { KnowledgeConfig } from './config/knowledge-env.js';
import type { Embedder } from './embeddings/embedder.port.js';
import { createLexicalEmbedder } from './embeddings/lexical.embedder.js';
import { createOpenAICompatibleEmbedder } from './embeddings/openai-compatible.embedder.js';
import {
  createDeleteDocumentVectors,
  type DeleteDocumentVectors,
} from './ingestion/delete-document-vectors.use-case.js';
import { createIngestDocument, type IngestDocument } from './ingestion/ingest-document.use-case.js';
import { knowledgeMetrics } from './metrics/knowledge.metrics.js';
import { knowledgeTracer } from './tracing/knowledge.tracing.js';
import { createChromaVectorStore } from './vector-store/chroma.vector-store.js';
import type { VectorStore } from './vector-store/vector-store.port.js';

/** What {@link createKnowledgeBase} needs besides the config. */
export interface KnowledgeBaseDeps {
  /** ChromaDB server URL (`CHROMA_URL`, from the business-service config). */
  chromaUrl: string;
  /** The service's metrics registry. */
  registry: Registry;
  logger: Logger;
  /** Replaces the embedder chosen from config (tests, benchmarks). */
  embedder?: Embedder;
  /** Replaces the chat model chosen from config (`null`: extractive mode even with a provider). */
  chatModel?: ChatModel | null;
  /** Replaces the Chroma store (tests, benchmarks). */
  store?: VectorStore;
}

/** The knowledge base of a service: the use cases, wired once in the composition root. */
export interface KnowledgeBase {
  /** Ingests a document (worker). */
  ingest: IngestDocument;
  /** Removes a document's vectors (api, on document deletion). */
  deleteDocumentVectors: DeleteDocumentVectors;
  /** Answers a question from the owner's documents (api `POST /knowledge/ask`, bot `/ask`). */
  ask: Ask;
  /** Readiness check: resolves when ChromaDB answers. */
  check(): Promise<void>;
  /** Releases resources (nothing pooled today; call it on shutdown anyway). */
  close(): Promise<void>;
  /** `generative` with a provider, `extractive` without one. */
  readonly mode: 'generative' | 'extractive';
  /** The embedder in use (its id is stamped on every collection). */
  readonly embedder: Embedder;
  /** The vector store, for maintenance (dropping an owner's collection). */
  readonly store: VectorStore;
}

/** Chooses the embedder from config: the provider's model when a key is set, else the offline lexical one. */
export function createEmbedder(config: KnowledgeConfig): Embedder {
  return config.provider
    ? createOpenAICompatibleEmbedder({
        provider: config.provider,
        batchSize: config.embedding.batchSize,
        concurrency: config.embedding.concurrency,
      })
    : createLexicalEmbedder({ dimension: config.embedding.lexicalDimension });
}

/**
 * Builds the knowledge base from its config: the embedder (provider or lexical), the Chroma store, the
 * chat model (provider only) and the use cases, with their metrics on `deps.registry` and their spans on
 * the global OpenTelemetry tracer provider (no-ops until the process installs an SDK).
 */
export function createKnowledgeBase(config: KnowledgeConfig, deps: KnowledgeBaseDeps): KnowledgeBase {
  const embedder = deps.embedder ?? createEmbedder(config);
  const store = deps.store ?? createChromaVectorStore({ url: deps.chromaUrl });
  const chatModel =
    deps.chatModel === null
      ? undefined
      : (deps.chatModel ?? (config.provider ? createOpenAICompatibleChatModel(config.provider) : undefined));
  const metrics = knowledgeMetrics(deps.registry);
  const tracer = knowledgeTracer(readPackageVersion(import.meta.url));
  const logger = deps.logger.child({ component: 'knowledge' });
  return {
    ingest: createIngestDocument({
      embedder,
      store,
      limits: config.limits,
      chunking: config.chunking,
      metrics,
      tracer,
      logger,
    }),
    deleteDocumentVectors: createDeleteDocumentVectors({ store }),
    ask: createAsk({ embedder, store, chatModel, retrieval: config.retrieval, metrics, tracer, logger }),
    check: () => store.check(),
    close: async () => {},
    mode: chatModel ? 'generative' : 'extractive',
    embedder,
    store,
  };
}
