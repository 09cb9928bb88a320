import {
  type DocumentUploadedData,
  type KnowledgeDocument,
  type MediaFailure,
  type MediaJob,
  MediaJobErrorCode,
} from '@flotilla/contracts';
import { isPermanentKnowledgeError, knowledgeErrors } from '@flotilla/knowledge';
import { isDomainError, isInfrastructureFailure, isUpstreamHttpError, newId } from '@flotilla/platform';
import { documentErrors } from '../domain/document.errors.js';
import type {
  DocumentBlobStore,
  DocumentIndexer,
  DocumentJobStore,
  DocumentStore,
} from './document.ports.js';
import type { DocumentEvents } from './document-events.js';

/** Dependencies of {@link createIndexDocument}. */
export interface IndexDocumentDeps {
  documents: DocumentStore;
  jobs: DocumentJobStore;
  blobs: DocumentBlobStore;
  knowledge: DocumentIndexer;
  events: DocumentEvents;
  /** Names this process in lease owners (`<instance>:<claim id>`). */
  instanceId: string;
  leaseSeconds: number;
  /** Largest document accepted (the knowledge base's limit), checked before downloading. */
  maxDocumentBytes: number;
  now?: () => number;
}

/** Which attempt of the message this is. */
export interface AttemptInfo {
  attempt: number;
  maxAttempts: number;
  /** How often the message was deferred (waiting for the infrastructure) so far. */
  deferrals?: number;
}

/** What happened to a `document.uploaded` event. */
export type IndexDocumentResult =
  | { status: 'indexed'; chunkCount: number; durationMs: number }
  | { status: 'failed'; code: string }
  | { status: 'skipped'; reason: 'finished' | 'deleted' | 'leased-elsewhere' | 'lease-lost' }
  | { status: 'retry'; reason: string }
  | { status: 'deferred'; reason: string }
  | { status: 'gave-up'; code: string; reason: string };

const PERMANENT_WORKER_CODES = new Set<string>([documentErrors.BLOB_MISSING.definition.code]);
const PROGRESS_FIRST = 10;
const PROGRESS_LAST = 95;

function describe(error: unknown): string {
  const text = isDomainError(error)
    ? `${error.code}: ${error.detail ?? error.title}`
    : error instanceof Error
      ? `${error.name}: ${error.message}`
      : String(error);
  return text.length > 900 ? `${text.slice(0, 900)}…` : text;
}

function failureOf(error: unknown): MediaFailure {
  if (isDomainError(error))
    return { code: error.code, message: (error.detail ?? error.title).slice(0, 1024) };
  return { code: 'KNOWLEDGE.INGESTION_ERROR', message: describe(error).slice(0, 1024) };
}

function isPermanent(error: unknown): boolean {
  return isPermanentKnowledgeError(error) || (isDomainError(error) && PERMANENT_WORKER_CODES.has(error.code));
}

const upstreamCode = (error: unknown) => (isUpstreamHttpError(error) ? error.upstreamCode : undefined);

/**
 * True when the message should wait for our own infrastructure (a data service or the broker) without
 * using an attempt. The model provider and the vector store keep their attempt-counted retries: a
 * provider may stay down or refuse for quota for long, and the document is then failed and said so.
 */
function isWaitForInfrastructure(error: unknown): boolean {
  return isInfrastructureFailure(error) && !(isDomainError(error) && error.code.startsWith('KNOWLEDGE.'));
}

/**
 * Ingests the document of a `document.uploaded` event into the owner's knowledge base:
 * - an indexed or failed document is left alone (a redelivery changes nothing; on a retry the outcome
 *   is announced again in case the previous attempt could not); a job still open for it (re-queued by
 *   the lease schedule while a slow worker finished) is settled to match; a deleted one is skipped;
 * - with a `job_id` the job is claimed under a lease (`processing`), gets progress as chunks are
 *   embedded, and completes or fails with the document;
 * - permanent failures (no text, unsupported type, too large, unreadable, embedder mismatch, missing
 *   file) fail the document at once and announce `document.failed`;
 * - a data service or the broker unavailable is no fault of the document: the job is released (its
 *   attempt given back) and the message waits (`deferred`) as long as it takes;
 * - other temporary failures (the provider or ChromaDB unavailable) ask for a retry; on the last
 *   attempt the document and job fail with `DOCUMENT.RETRIES_EXHAUSTED` before the message is given up.
 */
export function createIndexDocument(deps: IndexDocumentDeps) {
  const now = deps.now ?? Date.now;
  const { documents, jobs, events } = deps;

  async function announceFinished(document: KnowledgeDocument, info: AttemptInfo) {
    if (info.attempt > 1 || (info.deferrals ?? 0) > 0) {
      if (document.status === 'indexed')
        await events.indexed(document, document.chunk_count, 0, info.attempt);
      else if (document.error) await events.failed(document, document.error, info.attempt);
    }
    return { status: 'skipped', reason: 'finished' } as const;
  }

  async function claim(
    jobId: string,
    leaseOwner: string,
  ): Promise<MediaJob | 'leased-elsewhere' | 'unavailable'> {
    try {
      return await jobs.claim(jobId, { lease_owner: leaseOwner, lease_seconds: deps.leaseSeconds });
    } catch (error) {
      const code = upstreamCode(error);
      if (code === MediaJobErrorCode.ALREADY_LEASED) return 'leased-elsewhere';
      // Finished, exhausted or missing job: the document's own status rules, ingest without a lease.
      if (
        code === MediaJobErrorCode.ILLEGAL_TRANSITION ||
        code === MediaJobErrorCode.ATTEMPTS_EXHAUSTED ||
        code === MediaJobErrorCode.NOT_FOUND
      )
        return 'unavailable';
      throw error;
    }
  }

  /** Completes or fails a job left open for a document that is already finished. */
  async function settleJob(jobId: string, document: KnowledgeDocument) {
    const leaseOwner = `${deps.instanceId}:${newId()}`;
    const job = await claim(jobId, leaseOwner);
    if (typeof job === 'string') return; // finished already, or someone else's to settle
    if (document.status === 'indexed') {
      await jobs.complete(job.id, { lease_owner: leaseOwner, result: {} });
      return;
    }
    const error = document.error ?? {
      code: 'KNOWLEDGE.INGESTION_ERROR',
      message: 'The document failed without a recorded error.',
    };
    await jobs.fail(job.id, { lease_owner: leaseOwner, error, retryable: false });
  }

  async function download(event: DocumentUploadedData) {
    if (event.size_bytes > deps.maxDocumentBytes) {
      throw knowledgeErrors.TOO_LARGE({
        detail: `${event.size_bytes} bytes > ${deps.maxDocumentBytes} bytes.`,
      });
    }
    try {
      return (await deps.blobs.download(event.blob_id)).body;
    } catch (error) {
      if (isUpstreamHttpError(error, 404))
        throw documentErrors.BLOB_MISSING({ detail: `No blob ${event.blob_id}.` });
      throw error;
    }
  }

  async function run(
    event: DocumentUploadedData,
    job: MediaJob | undefined,
    leaseOwner: string,
    info: AttemptInfo,
  ) {
    const startedAt = now();
    let lastProgress = 0;
    const progress = async (value: number) => {
      if (!job || value - lastProgress < 5) return;
      lastProgress = value;
      await jobs.progress(job.id, {
        lease_owner: leaseOwner,
        progress: value,
        lease_seconds: deps.leaseSeconds,
      });
    };
    const body = await download(event);
    await progress(PROGRESS_FIRST);
    const result = await deps.knowledge.ingest(
      {
        documentId: event.document_id,
        ownerId: event.owner_id,
        title: event.title,
        contentType: event.content_type,
        filename: event.title,
        content: body,
      },
      {
        onProgress: ({ embedded, total }) =>
          progress(
            PROGRESS_FIRST + Math.floor(((PROGRESS_LAST - PROGRESS_FIRST) * embedded) / Math.max(1, total)),
          ),
      },
    );
    try {
      await documents.patch(event.document_id, { status: 'indexed', chunk_count: result.chunkCount });
    } catch (error) {
      if (!isUpstreamHttpError(error, 404)) throw error;
      // Deleted while we ingested: take our vectors back out.
      await deps.knowledge.deleteDocumentVectors({ ownerId: event.owner_id, documentId: event.document_id });
      return { status: 'skipped', reason: 'deleted' } as const;
    }
    if (job) {
      await jobs.complete(job.id, { lease_owner: leaseOwner, result: {} }).catch((error: unknown) => {
        // The lease expired while we worked and the schedule re-queued the job: the document is
        // indexed all the same, and the job's next delivery finds it so and settles the job.
        if (upstreamCode(error) !== MediaJobErrorCode.LEASE_LOST) throw error;
      });
    }
    const durationMs = now() - startedAt;
    const attempts = job ? job.attempts : info.attempt;
    try {
      await events.indexed(
        { id: event.document_id, owner_id: event.owner_id },
        result.chunkCount,
        durationMs,
        attempts,
      );
    } catch (error) {
      // The document is indexed; the retry finds it so and announces it then.
      return { status: 'retry', reason: `document.indexed not published: ${describe(error)}` } as const;
    }
    return { status: 'indexed', chunkCount: result.chunkCount, durationMs } as const;
  }

  async function fail(
    event: DocumentUploadedData,
    job: MediaJob | undefined,
    leaseOwner: string,
    error: unknown,
    info: AttemptInfo,
  ): Promise<IndexDocumentResult> {
    if (upstreamCode(error) === MediaJobErrorCode.LEASE_LOST)
      return { status: 'skipped', reason: 'lease-lost' };
    if (isWaitForInfrastructure(error)) {
      // A data service or the broker is unavailable: no fault of the document. The job gets its attempt
      // back and the message waits (if the job cannot be released, its lease expires and the schedule
      // re-queues it).
      if (job) {
        await jobs
          .release(job.id, { lease_owner: leaseOwner, error: failureOf(error) })
          .catch(() => undefined);
      }
      return { status: 'deferred', reason: describe(error) };
    }
    const owner = { id: event.document_id, owner_id: event.owner_id };
    const attempts = job ? job.attempts : info.attempt;
    const reason = describe(error);
    const permanent = isPermanent(error);
    const last = info.attempt >= info.maxAttempts || (job !== undefined && job.attempts >= job.max_attempts);
    if (!permanent && !last) {
      if (job) {
        await jobs
          .fail(job.id, { lease_owner: leaseOwner, error: failureOf(error), retryable: true })
          .catch(() => undefined); // the lease then expires and the schedule re-queues the job
      }
      return { status: 'retry', reason };
    }
    const failure: MediaFailure = permanent
      ? failureOf(error)
      : {
          code: documentErrors.RETRIES_EXHAUSTED.definition.code,
          message: `Gave up after ${attempts} attempts: ${reason}`.slice(0, 1024),
        };
    try {
      await documents.patch(event.document_id, { status: 'failed', error: failure });
      if (job) await jobs.fail(job.id, { lease_owner: leaseOwner, error: failure, retryable: false });
      await events.failed(owner, failure, attempts);
    } catch (recordError) {
      if (isUpstreamHttpError(recordError, 404)) return { status: 'skipped', reason: 'deleted' };
      // Could not record the failure: try again later (or give the message up on its last attempt).
      return last
        ? {
            status: 'gave-up',
            code: failure.code,
            reason: `${reason}; recording failed: ${describe(recordError)}`,
          }
        : { status: 'retry', reason: `recording the failure failed: ${describe(recordError)}` };
    }
    return permanent
      ? { status: 'failed', code: failure.code }
      : { status: 'gave-up', code: failure.code, reason };
  }

  return async function indexDocument(
    event: DocumentUploadedData,
    info: AttemptInfo,
  ): Promise<IndexDocumentResult> {
    try {
      const document = await documents.get(event.document_id);
      if (!document) return { status: 'skipped', reason: 'deleted' };
      if (document.status !== 'pending') {
        if (event.job_id) await settleJob(event.job_id, document);
        return await announceFinished(document, info);
      }
      const leaseOwner = `${deps.instanceId}:${newId()}`;
      let job: MediaJob | undefined;
      if (event.job_id) {
        const claimed = await claim(event.job_id, leaseOwner);
        if (claimed === 'leased-elsewhere') return { status: 'skipped', reason: 'leased-elsewhere' };
        job = claimed === 'unavailable' ? undefined : claimed;
      }
      try {
        return await run(event, job, leaseOwner, info);
      } catch (error) {
        return await fail(event, job, leaseOwner, error, info);
      }
    } catch (error) {
      const reason = describe(error);
      return isWaitForInfrastructure(error) ? { status: 'deferred', reason } : { status: 'retry', reason };
    }
  };
}

/** The use case built by {@link createIndexDocument}. */
export type IndexDocument = ReturnType<typeof createIndexDocument>;
