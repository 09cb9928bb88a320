import { hostname } from 'node:os';
import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';
import type { KnowledgeBase } from '@flotilla/knowledge';
import { type ConsumerHandle, type Logger, type Messaging, newId } from '@flotilla/platform';
import type { Registry } from 'prom-client';
import { createDocumentUploadedConsumer, DOCUMENTS_QUEUE } from './adapters/document-uploaded.consumer.js';
import { createDocumentEvents } from './application/document-events.js';
import { createDocumentJobAnnouncer } from './application/document-job-announcer.js';
import { createIndexDocument } from './application/index-document.use-case.js';
import type { DocumentsConfig } from './documents.config.js';

/** What the documents consumer needs: plain clients and the knowledge base, built by the worker's deps. */
export interface DocumentsConsumerDeps {
  config: DocumentsConfig;
  messaging: Pick<Messaging, 'consume' | 'publish'>;
  dataPostgres: Pick<DataPostgresClient, 'documents' | 'mediaJobs'>;
  dataMongo: Pick<DataMongoClient, 'blobs'>;
  knowledge: Pick<KnowledgeBase, 'ingest' | 'deleteDocumentVectors'>;
  logger: Logger;
  registry: Registry;
  /** Overrides the queue's retry delays (tests use short ones). */
  retryDelaysMs?: readonly number[] | undefined;
}

/**
 * Wires the `document.uploaded` consumer (`start()` declares `q.worker.documents` and starts consuming)
 * and the announcer the job schedules use for document jobs.
 */
export function createDocumentsModule(deps: DocumentsConsumerDeps) {
  const events = createDocumentEvents(deps.messaging);
  const indexDocument = createIndexDocument({
    documents: deps.dataPostgres.documents,
    jobs: deps.dataPostgres.mediaJobs,
    blobs: deps.dataMongo.blobs,
    knowledge: deps.knowledge,
    events,
    instanceId: `worker-${hostname().slice(0, 40)}-${newId().slice(-12)}`,
    leaseSeconds: deps.config.leaseSeconds,
    maxDocumentBytes: deps.config.knowledge.limits.maxBytes,
  });
  const handler = createDocumentUploadedConsumer({
    indexDocument,
    registry: deps.registry,
    logger: deps.logger,
  });
  return {
    announcer: createDocumentJobAnnouncer({
      documents: deps.dataPostgres.documents,
      jobs: deps.dataPostgres.mediaJobs,
      blobs: deps.dataMongo.blobs,
      publisher: deps.messaging,
      events,
      logger: deps.logger,
    }),
    consumers: [
      {
        name: 'documents',
        start: (): Promise<ConsumerHandle> =>
          deps.messaging.consume({
            ...DOCUMENTS_QUEUE,
            retryDelaysMs: deps.retryDelaysMs ?? DOCUMENTS_QUEUE.retryDelaysMs,
            prefetch: deps.config.prefetch,
            handler,
          }),
      },
    ],
  };
}

/** Builds the documents module and starts its consumer at once. */
export function startDocumentsConsumer(deps: DocumentsConsumerDeps): Promise<ConsumerHandle> {
  const [consumer] = createDocumentsModule(deps).consumers;
  return (consumer as { start(): Promise<ConsumerHandle> }).start();
}
