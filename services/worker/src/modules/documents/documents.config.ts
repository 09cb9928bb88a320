import { type KnowledgeConfig, knowledgeEnv, toKnowledgeConfig } from '@flotilla/knowledge';
import { type Static, type TObject, Type } from 'typebox';

/**
 * Variables of the worker's document ingestion: the knowledge base's (`LLM_*`, `EMBEDDING_*`,
 * `KNOWLEDGE_*`) plus the consumer's own. Spread into the worker's schema.
 */
export function documentsEnv() {
  return {
    ...knowledgeEnv(),
    DOCUMENTS_PREFETCH: Type.Integer({
      minimum: 1,
      maximum: 32,
      default: 2,
      description: 'Documents ingested at once by one worker (messages in flight on q.worker.documents).',
    }),
    DOCUMENTS_LEASE_SECONDS: Type.Integer({
      minimum: 30,
      maximum: 3600,
      default: 300,
      description: 'Lease on a document job; renewed with each progress report.',
    }),
  };
}

/** The camelCase view of {@link documentsEnv}'s variables. */
export interface DocumentsConfig {
  knowledge: KnowledgeConfig;
  prefetch: number;
  leaseSeconds: number;
}

/** Maps the parsed variables to {@link DocumentsConfig}. */
export function toDocumentsConfig(env: Static<TObject<ReturnType<typeof documentsEnv>>>): DocumentsConfig {
  return {
    knowledge: toKnowledgeConfig(env),
    prefetch: env.DOCUMENTS_PREFETCH,
    leaseSeconds: env.DOCUMENTS_LEASE_SECONDS,
  };
}
