import { Secret } from '@flotilla/platform';
import { type Static, type TObject, Type } from 'typebox';

const int = (minimum: number, maximum: number, defaultValue: number, description: string) =>
  Type.Integer({ minimum, maximum, default: defaultValue, description });

/**
 * Variables of the knowledge base, spread by every service that ingests or answers (worker, api, bot).
 * Without `LLM_API_KEY` the knowledge base runs offline: the lexical embedder and extractive answers.
 */
export function knowledgeEnv() {
  return {
    LLM_API_KEY: Type.Optional(
      Secret('API key of the OpenAI-compatible provider (OpenAI, OpenRouter). Unset: offline mode.', 20),
    ),
    LLM_BASE_URL: Type.String({
      pattern: '^https?://[^\\s]+$',
      default: 'https://api.openai.com/v1',
      description: 'Base URL of the OpenAI-compatible API (`https://openrouter.ai/api/v1` for OpenRouter).',
    }),
    LLM_CHAT_MODEL: Type.String({
      minLength: 1,
      maxLength: 200,
      default: 'gpt-4o-mini',
      description: 'Chat model that writes answers.',
    }),
    LLM_EMBEDDING_MODEL: Type.String({
      minLength: 1,
      maxLength: 200,
      default: 'text-embedding-3-small',
      description: 'Embedding model (changing it needs a re-ingest: collections refuse mixed embedders).',
    }),
    LLM_TIMEOUT_MS: int(1000, 300_000, 30_000, 'Deadline of one provider call.'),
    LLM_MAX_RETRIES: int(0, 10, 4, 'Retries of a provider call on 429 and 5xx (exponential backoff).'),
    LLM_CHAT_MAX_TOKENS: int(16, 8192, 512, 'Most tokens an answer may use.'),
    EMBEDDING_BATCH_SIZE: int(1, 2048, 64, 'Texts per embedding request.'),
    EMBEDDING_CONCURRENCY: int(1, 16, 2, 'Embedding requests in flight per document.'),
    LEXICAL_EMBEDDING_DIMENSION: int(64, 8192, 1024, 'Dimension of the offline lexical embedder.'),
    KNOWLEDGE_CHUNK_SIZE: int(200, 8000, 1000, 'Characters per chunk.'),
    KNOWLEDGE_CHUNK_OVERLAP: int(0, 2000, 150, 'Characters shared by neighbouring chunks.'),
    KNOWLEDGE_TOP_K: int(1, 50, 4, 'Passages retrieved per question by default.'),
    KNOWLEDGE_TOP_K_MAX: int(1, 50, 12, 'Most passages a caller may ask for.'),
    KNOWLEDGE_QUESTION_MAX_CHARS: int(10, 8000, 1000, 'Longest question accepted.'),
    KNOWLEDGE_DOCUMENT_MAX_BYTES: int(1024, 200 * 1024 * 1024, 20 * 1024 * 1024, 'Largest document file.'),
    KNOWLEDGE_DOCUMENT_MAX_PAGES: int(1, 10_000, 500, 'Most PDF pages read.'),
    KNOWLEDGE_DOCUMENT_MAX_CHARS: int(1000, 20_000_000, 2_000_000, 'Most extracted characters per document.'),
  };
}

/** The parsed variables of {@link knowledgeEnv}. */
export type KnowledgeEnv = Static<TObject<ReturnType<typeof knowledgeEnv>>>;

/** The OpenAI-compatible provider, when one is configured. */
export interface ProviderConfig {
  apiKey: string;
  baseUrl: string;
  chatModel: string;
  embeddingModel: string;
  timeoutMs: number;
  maxRetries: number;
  chatMaxTokens: number;
}

/** The camelCase view of {@link knowledgeEnv}'s variables. */
export interface KnowledgeConfig {
  /** `undefined`: offline mode (lexical embedder, extractive answers). */
  provider: ProviderConfig | undefined;
  embedding: { batchSize: number; concurrency: number; lexicalDimension: number };
  chunking: { chunkSize: number; chunkOverlap: number };
  retrieval: { topK: number; topKMax: number; questionMaxChars: number };
  limits: { maxBytes: number; maxPages: number; maxChars: number };
}

/** Maps the parsed knowledge variables to {@link KnowledgeConfig}. */
export function toKnowledgeConfig(env: KnowledgeEnv): KnowledgeConfig {
  return {
    provider:
      env.LLM_API_KEY === undefined
        ? undefined
        : {
            apiKey: env.LLM_API_KEY,
            baseUrl: env.LLM_BASE_URL,
            chatModel: env.LLM_CHAT_MODEL,
            embeddingModel: env.LLM_EMBEDDING_MODEL,
            timeoutMs: env.LLM_TIMEOUT_MS,
            maxRetries: env.LLM_MAX_RETRIES,
            chatMaxTokens: env.LLM_CHAT_MAX_TOKENS,
          },
    embedding: {
      batchSize: env.EMBEDDING_BATCH_SIZE,
      concurrency: env.EMBEDDING_CONCURRENCY,
      lexicalDimension: env.LEXICAL_EMBEDDING_DIMENSION,
    },
    chunking: {
      chunkSize: env.KNOWLEDGE_CHUNK_SIZE,
      // An overlap as large as the chunk would never advance; cap it at half a chunk.
      chunkOverlap: Math.min(env.KNOWLEDGE_CHUNK_OVERLAP, Math.floor(env.KNOWLEDGE_CHUNK_SIZE / 2)),
    },
    retrieval: {
      topK: Math.min(env.KNOWLEDGE_TOP_K, env.KNOWLEDGE_TOP_K_MAX),
      topKMax: env.KNOWLEDGE_TOP_K_MAX,
      questionMaxChars: env.KNOWLEDGE_QUESTION_MAX_CHARS,
    },
    limits: {
      maxBytes: env.KNOWLEDGE_DOCUMENT_MAX_BYTES,
      maxPages: env.KNOWLEDGE_DOCUMENT_MAX_PAGES,
      maxChars: env.KNOWLEDGE_DOCUMENT_MAX_CHARS,
    },
  };
}
