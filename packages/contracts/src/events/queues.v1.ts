import type { EventType } from './catalog.v1.js';

/** One consumer queue of the system: `q.<consumer>.<purpose>`, its bindings and its retry delays. */
export interface ConsumerQueue {
  /** The consuming service. */
  readonly consumer: string;
  /** What the queue is for. */
  readonly purpose: string;
  /** Event types routed to it (`#` = every event). */
  readonly routingKeys: readonly (EventType | '#')[];
  /** Delay before each retry (the delay queues' TTLs); attempts in all = 1 + its length. */
  readonly retryDelaysMs: readonly number[];
}

const STANDARD_RETRIES = [1000, 10_000, 60_000] as const;

/**
 * Every consumer queue of the system. Each service declares all of them when it connects, so an event
 * published before its consumer first started waits in the queue instead of being unroutable, and a
 * consumer passes the same entry to `consume` (identical arguments, so the declarations agree).
 */
export const CONSUMER_QUEUES = {
  /** Photos to process. */
  workerMedia: {
    consumer: 'worker',
    purpose: 'media',
    routingKeys: ['media.uploaded'],
    retryDelaysMs: STANDARD_RETRIES,
  },
  /** Documents to ingest into the knowledge base. */
  workerDocuments: {
    consumer: 'worker',
    purpose: 'documents',
    routingKeys: ['document.uploaded'],
    retryDelaysMs: STANDARD_RETRIES,
  },
  /** Every domain event, recorded in analytics. */
  workerAnalytics: {
    consumer: 'worker',
    purpose: 'analytics',
    routingKeys: ['#'],
    retryDelaysMs: STANDARD_RETRIES,
  },
  /** Drops the api's cached user profiles on every user change (the cache is in Redis: any replica may take it). */
  apiUserCache: {
    consumer: 'api',
    purpose: 'user-cache',
    routingKeys: ['user.updated'],
    retryDelaysMs: STANDARD_RETRIES,
  },
  /** Job progress and outcomes told to the owner in Telegram (progress edits, the compressed photo, failures). */
  botNotifications: {
    consumer: 'bot',
    purpose: 'notifications',
    routingKeys: [
      'media.processing',
      'media.succeeded',
      'media.failed',
      'document.indexed',
      'document.failed',
    ],
    retryDelaysMs: STANDARD_RETRIES,
  },
} as const satisfies Record<string, ConsumerQueue>;

/** The consumer queues as a list, for `createMessaging({ queues })`. */
export const CONSUMER_QUEUE_LIST: readonly ConsumerQueue[] = Object.values(CONSUMER_QUEUES);
