/**
 * @packageDocumentation
 * Flotilla's knowledge base: ingestion (extraction, splitting, embedding, ChromaDB upsert) run by the
 * worker, and the `ask` use case shared by the api and the bot. Start from {@link createKnowledgeBase}
 * with the config of {@link knowledgeEnv} / {@link toKnowledgeConfig}.
 */

export { ANSWER_PROMPT_VERSION } from './answering/answer-prompt.v1.js';
export {
  type Ask,
  type AskDeps,
  type AskInput,
  type AskResult,
  type Citation,
  createAsk,
} from './answering/ask.use-case.js';
export type { ChatModel, ChatReply, TokenUsage } from './answering/chat-model.port.js';
export { createOpenAICompatibleChatModel } from './answering/openai-compatible.chat-model.js';
export {
  type KnowledgeConfig,
  type KnowledgeEnv,
  knowledgeEnv,
  type ProviderConfig,
  toKnowledgeConfig,
} from './config/knowledge-env.js';
export type { EmbedDocumentsOptions, Embedder } from './embeddings/embedder.port.js';
export { createLexicalEmbedder, lexicalTokens, lexicalVector } from './embeddings/lexical.embedder.js';
export {
  createOpenAICompatibleEmbedder,
  type OpenAICompatibleEmbedderOptions,
} from './embeddings/openai-compatible.embedder.js';
export { isPermanentKnowledgeError, knowledgeErrors } from './errors/knowledge.errors.js';
export { type DocumentFormat, SUPPORTED_CONTENT_TYPES } from './extraction/document-format.js';
export {
  type ExtractedText,
  type ExtractionLimits,
  extractText,
  type TextSection,
} from './extraction/extract-text.js';
export {
  createDeleteDocumentVectors,
  type DeleteDocumentVectors,
} from './ingestion/delete-document-vectors.use-case.js';
export {
  createIngestDocument,
  type IngestDocument,
  type IngestDocumentDeps,
  type IngestDocumentInput,
  type IngestDocumentOptions,
  type IngestDocumentResult,
  type IngestProgress,
} from './ingestion/ingest-document.use-case.js';
export {
  createEmbedder,
  createKnowledgeBase,
  type KnowledgeBase,
  type KnowledgeBaseDeps,
} from './knowledge-base.js';
export { type KnowledgeMetrics, knowledgeMetrics } from './metrics/knowledge.metrics.js';
export { type ChunkingOptions, splitText, type TextChunk } from './splitting/split-text.js';
export {
  type ChromaVectorStoreOptions,
  createChromaVectorStore,
} from './vector-store/chroma.vector-store.js';
export {
  type ChunkMetadata,
  chunkId,
  collectionName,
  type EmbedderStamp,
  type VectorMatch,
  type VectorRecord,
  type VectorStore,
} from './vector-store/vector-store.port.js';
