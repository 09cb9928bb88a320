import type { DocumentFailedData, DocumentIndexedData, MediaFailure } from '@flotilla/contracts';
import type { EventPublisher } from './document.ports.js';

/** Builds and publishes `document.indexed` and `document.failed`. */
export function createDocumentEvents(events: EventPublisher) {
  return {
    indexed(
      document: { id: string; owner_id: string },
      chunkCount: number,
      durationMs: number,
      attempts: number,
    ) {
      const data: DocumentIndexedData = {
        document_id: document.id,
        owner_id: document.owner_id,
        chunk_count: chunkCount,
        duration_ms: Math.max(0, Math.round(durationMs)),
        attempts: Math.max(1, attempts),
      };
      return events.publish('document.indexed', data, { userId: document.owner_id });
    },
    failed(document: { id: string; owner_id: string }, error: MediaFailure, attempts: number) {
      const data: DocumentFailedData = {
        document_id: document.id,
        owner_id: document.owner_id,
        error,
        attempts: Math.max(1, attempts),
      };
      return events.publish('document.failed', data, { userId: document.owner_id });
    },
  };
}

/** The publisher built by {@link createDocumentEvents}. */
export type DocumentEvents = ReturnType<typeof createDocumentEvents>;
