import type { EventData, EventType } from '@flotilla/contracts';
import type { Logger } from '@flotilla/platform';
import type { EventPublisher } from './identity.ports.js';

/**
 * Publishes an event whose write has already succeeded. A publish failure does not undo the write nor
 * fail the request (the client would retry a write that happened); it is logged at error level with the
 * event, so it can be re-published by hand. (A transactional outbox in data-postgres would close this gap.)
 */
export async function publishAfterWrite<T extends EventType>(
  events: EventPublisher,
  logger: Logger,
  type: T,
  data: EventData<T>,
  userId: string,
): Promise<void> {
  try {
    await events.publish(type, data, { userId });
  } catch (error) {
    logger.error({ err: error, event_type: type, data }, 'event not published after a successful write');
  }
}
