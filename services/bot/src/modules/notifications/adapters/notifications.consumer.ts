import type { EventHandler, HandlerOutcome, Logger } from '@flotilla/platform';
import type { BotMetrics } from '../../../telegram/bot.metrics.js';
import type { JobEvent, NotifyResult } from '../application/notify-job-event.use-case.js';

/**
 * The `q.bot.notifications` consumer: the envelope was validated against its contract by the messaging
 * module; the use case tells the owner, and every result but a thrown error is final (ack). A thrown error
 * (Telegram or a data service unreachable, a 429 longer than auto-retry waits) is retried with the queue's
 * delays.
 */
export function createNotificationsConsumer(deps: {
  notify: (event: JobEvent) => Promise<NotifyResult>;
  metrics: BotMetrics;
  logger: Logger;
}): EventHandler {
  return async function handleJobEvent(envelope): Promise<HandlerOutcome> {
    const event = { type: envelope.event_type, data: envelope.data } as JobEvent;
    try {
      const result = await deps.notify(event);
      deps.metrics.notifications.inc({ event: envelope.event_type, result });
      deps.logger.debug(
        { event_id: envelope.event_id, event_type: envelope.event_type, result },
        'notification handled',
      );
      return { action: 'ack' };
    } catch (error) {
      deps.metrics.notifications.inc({ event: envelope.event_type, result: 'error' });
      deps.logger.warn(
        { err: error, event_id: envelope.event_id, event_type: envelope.event_type },
        'notification failed; retrying',
      );
      return { action: 'retry', reason: error instanceof Error ? error.message : String(error) };
    }
  };
}
