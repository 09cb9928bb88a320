import type { KnowledgeDocument, MediaJob } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import type { IntakeDeps, UploadDocumentStore, UploadOrigin } from './intake.ports.js';
import { createStoreUpload, type IncomingFile, type StoredUpload } from './store-upload.js';
import { recordStoredUpload } from './upload-idempotency.js';

/** A document uploaded by a user. */
export interface UploadDocumentInput {
  ownerId: string;
  file: IncomingFile;
  origin: UploadOrigin;
  /** Title shown in lists and citations; the file name (without extension) when absent. */
  title?: string;
  idempotencyKey?: string;
}

/** The document created (its `source_job_id` is the job that tracks its ingestion). */
export interface UploadDocumentResult {
  document: KnowledgeDocument;
  replayed: boolean;
}

/** A title from a file name: without its extension, at most 255 characters. */
export function titleFromFilename(filename: string): string {
  const base = filename.replace(/\.[A-Za-z0-9]{1,10}$/, '').trim();
  return (base === '' ? filename : base).slice(0, 255);
}

/**
 * Uploads a knowledge-base document (txt, md, pdf, docx; type from the bytes), from the api or the bot
 * alike: streamed into data-mongo, then a `document` job (which records the file and tracks ingestion)
 * and the `pending` document made from it, stored in one transaction with `document.uploaded` for the
 * worker, which data-postgres publishes once it commits (the outbox). Any failure before the document
 * exists undoes what was written.
 */
export function createUploadDocument(
  deps: IntakeDeps & { documents: UploadDocumentStore; maxBytes: number },
) {
  const storeUpload = createStoreUpload(deps);

  async function createDocument(
    input: UploadDocumentInput,
    stored: StoredUpload,
  ): Promise<KnowledgeDocument> {
    const job: MediaJob = await deps.jobs.create({
      id: newId(),
      owner_id: input.ownerId,
      kind: 'document',
      source: input.origin.source,
      original: {
        blob_id: stored.blobId,
        filename: stored.filename,
        content_type: stored.contentType,
        size_bytes: stored.sizeBytes,
      },
    });
    const id = newId();
    const title = input.title ?? titleFromFilename(stored.filename);
    const uploaded = deps.events.prepare(
      'document.uploaded',
      {
        document_id: id,
        owner_id: input.ownerId,
        job_id: job.id,
        blob_id: stored.blobId,
        title,
        content_type: stored.contentType,
        size_bytes: stored.sizeBytes,
      },
      { userId: input.ownerId },
    );
    let document: KnowledgeDocument;
    try {
      document = await deps.documents.create({
        id,
        owner_id: input.ownerId,
        title,
        source_job_id: job.id,
        content_type: stored.contentType,
        events: [uploaded],
      });
    } catch (error) {
      await deps.jobs.delete(job.id).catch(() => undefined);
      throw error;
    }
    return document;
  }

  return async function uploadDocument(input: UploadDocumentInput): Promise<UploadDocumentResult> {
    const stored = await storeUpload({
      ownerId: input.ownerId,
      file: input.file,
      accept: 'document',
      maxBytes: deps.maxBytes,
    });
    const { result, replayed } = await recordStoredUpload(deps, stored, {
      scope: `document-upload:${input.ownerId}`,
      key: input.idempotencyKey,
      fingerprint: `${stored.sha256}:${input.title ?? ''}`,
      record: () => createDocument(input, stored),
    });
    return { document: result, replayed };
  };
}
