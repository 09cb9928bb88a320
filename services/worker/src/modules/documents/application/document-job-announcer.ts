import type {
  DataMongoClient,
  DataPostgresClient,
  DocumentUploadedData,
  MediaFailure,
  MediaJob,
} from '@flotilla/contracts';
import type { Logger } from '@flotilla/platform';
import type { JobAnnouncer } from '../../../schedules/job-announcer.js';
import type { EventPublisher } from './document.ports.js';
import type { DocumentEvents } from './document-events.js';

/**
 * Puts a document job back on its way for the job schedules. The job carries the file; the document
 * (found by its source job) carries the title and the status:
 * - restart: `document.uploaded` is published again from both (a finished document too: the consumer
 *   then settles the job to match it);
 * - exhausted: a document still `pending` becomes `failed` with the job's error, and `document.failed`
 *   is published;
 * - a job whose document is gone (deleted, or never written because the uploader crashed between the
 *   two) has nothing left to index: it is deleted with its file, so it does not come back at every run.
 */
export function createDocumentJobAnnouncer(deps: {
  documents: Pick<DataPostgresClient['documents'], 'patch' | 'list'>;
  jobs: Pick<DataPostgresClient['mediaJobs'], 'delete'>;
  blobs: Pick<DataMongoClient['blobs'], 'delete'>;
  publisher: EventPublisher;
  events: DocumentEvents;
  logger: Logger;
}): JobAnnouncer {
  async function documentOf(job: MediaJob) {
    const { items } = await deps.documents.list({ source_job_id: job.id, limit: 1 });
    if (items[0]) return items[0];
    await deps.blobs.delete(job.original.blob_id);
    await deps.jobs.delete(job.id);
    deps.logger.warn({ job_id: job.id }, 'document job without a document: deleted with its file');
    return undefined;
  }

  return {
    async restart(job) {
      const document = await documentOf(job);
      if (!document) return;
      const data: DocumentUploadedData = {
        document_id: document.id,
        owner_id: document.owner_id,
        job_id: job.id,
        blob_id: job.original.blob_id,
        title: document.title,
        content_type: document.content_type,
        size_bytes: job.original.size_bytes,
      };
      await deps.publisher.publish('document.uploaded', data, { userId: document.owner_id });
    },
    async exhausted(job, error: MediaFailure) {
      const document = await documentOf(job);
      if (document?.status !== 'pending') return;
      await deps.documents.patch(document.id, { status: 'failed', error });
      await deps.events.failed(document, error, job.attempts);
    },
  };
}
