import { CONSUMER_QUEUES, type MediaUploadedData } from '@flotilla/contracts';
import type { EventHandler, HandlerOutcome, Logger } from '@flotilla/platform';
import type { ProcessPhoto } from '../application/process-photo.use-case.js';
import type { MediaMetrics } from './media.metrics.js';

/** The queue this consumer reads: `q.worker.media`, bound to `media.uploaded`. */
export const MEDIA_QUEUE = CONSUMER_QUEUES.workerMedia;

/**
 * The `media.uploaded` consumer: the envelope was validated against the contract by the messaging
 * module; the use case decides, and its result becomes an explicit outcome.
 */
export function createMediaUploadedConsumer(deps: {
  processPhoto: ProcessPhoto;
  metrics: MediaMetrics;
  logger: Logger;
}): EventHandler<MediaUploadedData> {
  return async function handleMediaUploaded(envelope, delivery): Promise<HandlerOutcome> {
    const { data } = envelope;
    const result = await deps.processPhoto(data, delivery);
    deps.metrics.record(data.kind, result);
    const log = { job_id: data.job_id, event_id: envelope.event_id, attempt: delivery.attempt };
    switch (result.status) {
      case 'succeeded':
        deps.logger.info({ ...log, duration_ms: result.durationMs }, 'photo processed');
        return { action: 'ack' };
      case 'failed':
        deps.logger.info({ ...log, code: result.code }, 'photo failed for good');
        return { action: 'ack' };
      case 'skipped':
        deps.logger.info({ ...log, reason: result.reason }, 'media.uploaded skipped');
        return { action: 'ack' };
      case 'retry':
        return { action: 'retry', reason: result.reason };
      case 'deferred':
        return { action: 'defer', reason: result.reason };
      case 'gave-up':
        return { action: 'dead-letter', reason: `${result.code}: ${result.reason}` };
      case 'rejected':
        return { action: 'dead-letter', reason: result.reason };
    }
  };
}
