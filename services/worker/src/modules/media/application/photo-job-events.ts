import { createHash } from 'node:crypto';
import type {
  MediaFailedData,
  MediaFailure,
  MediaJob,
  MediaProcessingData,
  MediaSucceededData,
  MediaUploadedData,
} from '@flotilla/contracts';
import type { EventPublisher } from './photo.ports.js';

/**
 * The event id of a job's outcome (`media.succeeded` or `media.failed`), the same at every announcement:
 * a UUID v7 with the job id's timestamp and the rest from a hash of the job id and the event type. A
 * job finishes once, so a repeated announcement (a worker killed between publishing and acknowledging,
 * or between completing the job and publishing) is one event to idempotent consumers.
 */
export function outcomeEventId(jobId: string, eventType: string): string {
  const hash = createHash('sha256').update(`${jobId}:${eventType}`).digest('hex');
  const time = jobId.replaceAll('-', '').slice(0, 12);
  const variant = ((Number.parseInt(hash.slice(3, 4), 16) & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hash.slice(0, 3)}-${variant}${hash.slice(4, 7)}-${hash.slice(7, 19)}`;
}

/**
 * Builds and publishes the `media.*` events of a photo job from its record. Each envelope names the
 * job's owner as its `user_id`, as the api's `media.uploaded` does, so per-user analytics count them.
 */
export function createPhotoJobEvents(events: EventPublisher) {
  const chat = (event: { telegram_chat_id?: number | undefined }) =>
    event.telegram_chat_id === undefined ? {} : { telegram_chat_id: event.telegram_chat_id };

  return {
    processing(job: MediaJob, startedAt: string) {
      const data: MediaProcessingData = {
        job_id: job.id,
        owner_id: job.owner_id,
        kind: job.kind,
        attempt: Math.max(1, job.attempts),
        started_at: startedAt,
      };
      return events.publish('media.processing', data, { userId: job.owner_id });
    },
    succeeded(job: MediaJob, durationMs: number, origin: { telegram_chat_id?: number | undefined }) {
      const result = job.result ?? {};
      const data: MediaSucceededData = {
        job_id: job.id,
        owner_id: job.owner_id,
        kind: job.kind,
        source: job.source,
        original_blob_id: job.original.blob_id,
        original_size_bytes: job.original.size_bytes,
        result,
        ...(result.bytes_saved === undefined ? {} : { bytes_saved: result.bytes_saved }),
        duration_ms: Math.max(0, Math.round(durationMs)),
        attempts: Math.max(1, job.attempts),
        ...chat(origin),
      };
      return events.publish('media.succeeded', data, {
        eventId: outcomeEventId(job.id, 'media.succeeded'),
        userId: job.owner_id,
      });
    },
    failed(
      job: MediaJob,
      error: MediaFailure,
      durationMs: number | undefined,
      origin: { telegram_chat_id?: number | undefined },
    ) {
      const data: MediaFailedData = {
        job_id: job.id,
        owner_id: job.owner_id,
        kind: job.kind,
        source: job.source,
        error,
        attempts: Math.max(1, job.attempts),
        ...(durationMs === undefined ? {} : { duration_ms: Math.max(0, Math.round(durationMs)) }),
        ...chat(origin),
      };
      return events.publish('media.failed', data, {
        eventId: outcomeEventId(job.id, 'media.failed'),
        userId: job.owner_id,
      });
    },
    /** `media.uploaded` again for a job (re-queued or lost publish); Telegram chat ids are not on the job. */
    uploaded(job: MediaJob) {
      const data: MediaUploadedData = {
        job_id: job.id,
        owner_id: job.owner_id,
        kind: job.kind,
        source: job.source,
        original: job.original,
      };
      return events.publish('media.uploaded', data, { userId: job.owner_id });
    },
  };
}

/** The `media.*` event publishers of {@link createPhotoJobEvents}. */
export type PhotoJobEvents = ReturnType<typeof createPhotoJobEvents>;
