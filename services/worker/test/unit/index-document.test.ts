import type { DocumentUploadedData, KnowledgeDocument, MediaJob } from '@flotilla/contracts';
import { knowledgeErrors } from '@flotilla/knowledge';
import { platformErrors, UpstreamHttpError } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import {
  createIndexDocument,
  type IndexDocumentDeps,
} from '../../src/modules/documents/application/index-document.use-case.js';

const documentId = '0190a5a2-0000-7000-8000-000000000001';
const ownerId = '0190a5a2-0000-7000-8000-000000000002';
const jobId = '0190a5a2-0000-7000-8000-000000000003';
const event: DocumentUploadedData = {
  document_id: documentId,
  owner_id: ownerId,
  job_id: jobId,
  blob_id: 'blob1',
  title: 'notes.txt',
  content_type: 'text/plain',
  size_bytes: 10,
};
const pending = {
  id: documentId,
  owner_id: ownerId,
  status: 'pending',
  chunk_count: 0,
  error: null,
} as KnowledgeDocument;
const claimed = { id: jobId, attempts: 1, max_attempts: 3 } as MediaJob;

function upstream(status: number, code: string) {
  return new UpstreamHttpError({
    upstream: 'data-postgres',
    method: 'POST',
    route: '/x',
    status,
    body: { type: 'about:blank', title: code, status, code },
  });
}

/** Plain in-memory ports recording the calls made. */
function harness(overrides: Partial<IndexDocumentDeps> = {}) {
  const calls: string[] = [];
  const deps: IndexDocumentDeps = {
    documents: {
      get: async () => pending,
      patch: async (_id, body) => {
        calls.push(`documents.patch ${JSON.stringify(body)}`);
        return { ...pending, ...body } as KnowledgeDocument;
      },
    },
    jobs: {
      get: async () => claimed,
      claim: async () => claimed,
      progress: async (_id, body) => {
        calls.push(`jobs.progress ${body.progress}`);
        return claimed;
      },
      complete: async () => {
        calls.push('jobs.complete');
        return claimed;
      },
      fail: async (_id, body) => {
        calls.push(`jobs.fail ${body.error.code} retryable=${body.retryable}`);
        return claimed;
      },
      release: async (_id, body) => {
        calls.push(`jobs.release ${body.error?.code}`);
        return claimed;
      },
    },
    blobs: { download: async () => ({ body: 'bytes' }) as never },
    knowledge: {
      ingest: async (_input, options) => {
        await options?.onProgress?.({ embedded: 0, total: 4 });
        await options?.onProgress?.({ embedded: 4, total: 4 });
        calls.push('ingest');
        return { chunkCount: 4 } as never;
      },
      deleteDocumentVectors: async () => {
        calls.push('deleteDocumentVectors');
        return { deleted: 4 };
      },
    },
    events: {
      indexed: async () => void calls.push('event indexed'),
      failed: async (_document, error) => void calls.push(`event failed ${error.code}`),
    },
    instanceId: 'worker-test',
    leaseSeconds: 60,
    maxDocumentBytes: 1000,
    ...overrides,
  };
  return { deps, calls, indexDocument: createIndexDocument(deps) };
}

const firstAttempt = { attempt: 1, maxAttempts: 3 };

describe('index document use case', () => {
  it('reports progress on the job, marks the document indexed, completes the job, then announces it', async () => {
    const { indexDocument, calls } = harness();
    expect(await indexDocument(event, firstAttempt)).toMatchObject({ status: 'indexed', chunkCount: 4 });
    expect(calls).toEqual([
      'jobs.progress 10',
      'jobs.progress 95',
      'ingest',
      'documents.patch {"status":"indexed","chunk_count":4}',
      'jobs.complete',
      'event indexed',
    ]);
  });

  it('takes the vectors back out when the document was deleted while it was ingested', async () => {
    const { indexDocument, calls } = harness({
      documents: {
        get: async () => pending,
        patch: async () => {
          throw upstream(404, 'DOCUMENT.NOT_FOUND');
        },
      },
    });
    expect(await indexDocument(event, firstAttempt)).toEqual({ status: 'skipped', reason: 'deleted' });
    expect(calls).toContain('deleteDocumentVectors');
    expect(calls).not.toContain('event indexed');
  });

  it('leaves a job leased by another worker alone', async () => {
    const { indexDocument, calls } = harness({
      jobs: {
        ...harness().deps.jobs,
        claim: async () => {
          throw upstream(409, 'JOB.ALREADY_LEASED');
        },
      },
    });
    expect(await indexDocument(event, firstAttempt)).toEqual({
      status: 'skipped',
      reason: 'leased-elsewhere',
    });
    expect(calls).not.toContain('ingest');
  });

  it('puts the job back for a temporary failure with attempts left, and asks for a retry', async () => {
    const { indexDocument, calls } = harness({
      knowledge: {
        ingest: async () => {
          throw knowledgeErrors.STORE_UNAVAILABLE();
        },
        deleteDocumentVectors: async () => ({ deleted: 0 }),
      },
    });
    expect(await indexDocument(event, firstAttempt)).toMatchObject({ status: 'retry' });
    expect(calls).toContain('jobs.fail KNOWLEDGE.STORE_UNAVAILABLE retryable=true');
    expect(calls.some((call) => call.startsWith('documents.patch'))).toBe(false);
  });

  it('when a data service is unavailable, gives the job its attempt back and waits (deferred), failing nothing', async () => {
    const { indexDocument, calls } = harness({
      blobs: {
        download: async () => {
          throw platformErrors.UPSTREAM_UNAVAILABLE({ detail: 'data-mongo could not be reached' });
        },
      },
    });
    expect(await indexDocument(event, firstAttempt)).toMatchObject({ status: 'deferred' });
    expect(calls).toContain('jobs.release UPSTREAM.UNAVAILABLE');
    expect(calls.some((call) => call.startsWith('jobs.fail') || call.startsWith('documents.patch'))).toBe(
      false,
    );
  });

  it('refuses a document larger than the limit before downloading it', async () => {
    const { indexDocument, calls } = harness({
      blobs: {
        download: async () => {
          throw new Error('must not download');
        },
      },
    });
    expect(await indexDocument({ ...event, size_bytes: 5000 }, firstAttempt)).toEqual({
      status: 'failed',
      code: 'KNOWLEDGE.TOO_LARGE',
    });
    expect(calls).toContain('jobs.fail KNOWLEDGE.TOO_LARGE retryable=false');
    expect(calls).toContain('event failed KNOWLEDGE.TOO_LARGE');
  });

  it('announces a document it indexed even when its lease was taken back meanwhile', async () => {
    const { indexDocument, calls } = harness({
      jobs: {
        ...harness().deps.jobs,
        complete: async () => {
          throw upstream(409, 'JOB.LEASE_LOST');
        },
      },
    });
    expect(await indexDocument(event, firstAttempt)).toMatchObject({ status: 'indexed', chunkCount: 4 });
    expect(calls.slice(-2)).toEqual([
      'documents.patch {"status":"indexed","chunk_count":4}',
      'event indexed',
    ]);
  });

  it('settles a job left open for a finished document: completed for an indexed one, failed for a failed one', async () => {
    const indexed = harness({
      documents: {
        get: async () => ({ ...pending, status: 'indexed', chunk_count: 4 }),
        patch: async () => pending,
      },
    });
    expect(await indexed.indexDocument(event, firstAttempt)).toEqual({
      status: 'skipped',
      reason: 'finished',
    });
    expect(indexed.calls).toEqual(['jobs.complete']);

    const error = { code: 'KNOWLEDGE.NO_TEXT', message: 'No text.' };
    const failed = harness({
      documents: { get: async () => ({ ...pending, status: 'failed', error }), patch: async () => pending },
    });
    expect(await failed.indexDocument(event, firstAttempt)).toEqual({
      status: 'skipped',
      reason: 'finished',
    });
    expect(failed.calls).toEqual(['jobs.fail KNOWLEDGE.NO_TEXT retryable=false']);

    const finishedJob = harness({
      documents: { get: async () => ({ ...pending, status: 'indexed' }), patch: async () => pending },
      jobs: {
        ...harness().deps.jobs,
        claim: async () => {
          throw upstream(409, 'JOB.ILLEGAL_TRANSITION');
        },
      },
    });
    expect(await finishedJob.indexDocument(event, firstAttempt)).toEqual({
      status: 'skipped',
      reason: 'finished',
    });
    expect(finishedJob.calls).toEqual([]);
  });

  it('skips an event whose document no longer exists', async () => {
    const { indexDocument, calls } = harness({
      documents: { get: async () => null, patch: async () => pending },
    });
    expect(await indexDocument(event, firstAttempt)).toEqual({ status: 'skipped', reason: 'deleted' });
    expect(calls).toEqual([]);
  });
});
