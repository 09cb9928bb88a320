import { defineErrors } from '../errors/domain-error.js';

/** Errors raised by the messaging module. */
export const messagingErrors = defineErrors({
  UNKNOWN_EVENT_TYPE: {
    code: 'MESSAGING.UNKNOWN_EVENT_TYPE',
    kind: 'internal',
    title: 'The event type is not in the event catalogue',
  },
  INVALID_EVENT: {
    code: 'MESSAGING.INVALID_EVENT',
    kind: 'invalid',
    title: 'The event does not match its schema',
  },
  UNROUTABLE: {
    code: 'MESSAGING.UNROUTABLE',
    kind: 'unavailable',
    title: 'No queue is bound for this message; it was returned, not delivered',
  },
  PUBLISH_REJECTED: {
    code: 'MESSAGING.PUBLISH_REJECTED',
    kind: 'unavailable',
    title: 'The broker did not confirm the message',
  },
  NOT_CONNECTED: {
    code: 'MESSAGING.NOT_CONNECTED',
    kind: 'unavailable',
    title: 'The message broker is not reachable',
  },
  CLOSED: { code: 'MESSAGING.CLOSED', kind: 'unavailable', title: 'Messaging has been closed' },
});
