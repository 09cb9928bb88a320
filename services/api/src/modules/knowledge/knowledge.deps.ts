import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';
import { createUploadDocument, type IntakeDeps } from '@flotilla/intake';
import { createKnowledgeBase, type KnowledgeBase, type KnowledgeConfig } from '@flotilla/knowledge';
import type { ServiceRuntime } from '@flotilla/platform';
import type { UploadGate } from '../../http/upload-gate.js';
import { createAskQuestion } from './application/ask.use-case.js';
import { createDeleteDocument } from './application/delete-document.use-case.js';
import { createGetDocument } from './application/get-document.use-case.js';
import type { KnowledgeDeps } from './application/knowledge.ports.js';
import { createListDocuments } from './application/list-documents.use-case.js';

/** What the knowledge context is built from (parts of the composition root). */
export interface KnowledgeWiring {
  knowledgeConfig: KnowledgeConfig;
  chromaUrl: string;
  runtime: ServiceRuntime;
  dataPostgres: DataPostgresClient;
  dataMongo: DataMongoClient;
  /** The shared upload dependencies (events, Idempotency-Key records, ...). */
  intake: IntakeDeps;
  /** Bounds the uploads in flight (shared with photo uploads). */
  uploadGate: UploadGate;
  /** Replaces the knowledge base built from config (tests use an offline one). */
  knowledgeBase?: KnowledgeBase;
}

/** The knowledge context wired: the knowledge base (ask, vector deletion) and the use cases. */
export function createKnowledge(wiring: KnowledgeWiring) {
  const { runtime, knowledgeConfig } = wiring;
  const knowledgeBase =
    wiring.knowledgeBase ??
    createKnowledgeBase(knowledgeConfig, {
      chromaUrl: wiring.chromaUrl,
      registry: runtime.metrics.registry,
      logger: runtime.logger,
    });
  const deps: KnowledgeDeps = {
    documents: wiring.dataPostgres.documents,
    jobs: wiring.dataPostgres.mediaJobs,
    blobs: wiring.dataMongo.blobs,
    knowledge: knowledgeBase,
    logger: runtime.logger,
  };
  const maxUploadBytes = knowledgeConfig.limits.maxBytes;
  return {
    knowledgeBase,
    maxUploadBytes,
    uploadGate: wiring.uploadGate,
    uploadDocument: createUploadDocument({
      ...wiring.intake,
      documents: wiring.dataPostgres.documents,
      maxBytes: maxUploadBytes,
    }),
    listDocuments: createListDocuments(deps),
    getDocument: createGetDocument(deps),
    deleteDocument: createDeleteDocument(deps),
    askQuestion: createAskQuestion(deps),
  };
}

/** The knowledge context. */
export type Knowledge = ReturnType<typeof createKnowledge>;
