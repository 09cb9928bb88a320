import { CONSUMER_QUEUES, type DocumentUploadedData } from '@flotilla/contracts';
import type { EventHandler, HandlerOutcome, Logger } from '@flotilla/platform';
import { Counter, type Registry } from 'prom-client';
import type { IndexDocument, IndexDocumentResult } from '../application/index-document.use-case.js';

/** The queue this consumer reads: `q.worker.documents`, bound to `document.uploaded`. */
export const DOCUMENTS_QUEUE = CONSUMER_QUEUES.workerDocuments;

const METRIC = 'worker_documents_total';

function outcomesCounter(registry: Registry): Counter<'status'> {
  return (
    (registry.getSingleMetric(METRIC) as Counter<'status'> | undefined) ??
    new Counter({
      name: METRIC,
      help: 'document.uploaded events handled, by result (indexed, failed, skipped, retry, deferred, gave-up).',
      labelNames: ['status'],
      registers: [registry],
    })
  );
}

/**
 * The `document.uploaded` consumer: the envelope was validated against the contract by the messaging
 * module; the use case decides, and its result becomes an explicit outcome.
 */
export function createDocumentUploadedConsumer(deps: {
  indexDocument: IndexDocument;
  registry: Registry;
  logger: Logger;
}): EventHandler<DocumentUploadedData> {
  const outcomes = outcomesCounter(deps.registry);
  return async function handleDocumentUploaded(envelope, delivery): Promise<HandlerOutcome> {
    const { data } = envelope;
    const result: IndexDocumentResult = await deps.indexDocument(data, delivery);
    outcomes.inc({ status: result.status });
    const log = { document_id: data.document_id, event_id: envelope.event_id, attempt: delivery.attempt };
    switch (result.status) {
      case 'indexed':
        deps.logger.info(
          { ...log, chunks: result.chunkCount, duration_ms: result.durationMs },
          'document indexed',
        );
        return { action: 'ack' };
      case 'failed':
        deps.logger.info({ ...log, code: result.code }, 'document failed for good');
        return { action: 'ack' };
      case 'skipped':
        deps.logger.info({ ...log, reason: result.reason }, 'document.uploaded skipped');
        return { action: 'ack' };
      case 'retry':
        deps.logger.warn({ ...log, reason: result.reason }, 'document ingestion will be retried');
        return { action: 'retry', reason: result.reason };
      case 'deferred':
        return { action: 'defer', reason: result.reason };
      case 'gave-up':
        return { action: 'dead-letter', reason: `${result.code}: ${result.reason}` };
    }
  };
}
