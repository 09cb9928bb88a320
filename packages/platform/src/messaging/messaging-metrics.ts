import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Why a message went to a dead-letter queue (the `reason_kind` label). */
export type DeadLetterReasonKind = 'invalid' | 'rejected' | 'retries_exhausted';

/** How a consumed message ended (the `outcome` label). */
export type ConsumeOutcome = 'ack' | 'retry' | 'deferred' | 'dead_letter' | 'duplicate' | 'invalid';

/** Source of queue depths, read when Prometheus scrapes (see {@link MessagingMetrics.addDepthSource}). */
export type QueueDepthSource = () => Promise<
  ReadonlyArray<readonly [queue: string, messages: number, consumers?: number]>
>;

/** The message metrics of a service, registered once on its registry. */
export interface MessagingMetrics {
  published: Counter<'event_type' | 'result'>;
  consumed: Counter<'queue' | 'outcome'>;
  handlerDuration: Histogram<'queue'>;
  retried: Counter<'queue'>;
  deadLettered: Counter<'queue' | 'reason_kind'>;
  queueDepth: Gauge<'queue'>;
  /** Consumers attached to each work queue this service consumes (all replicas), read at scrape time. */
  queueConsumers: Gauge<'queue'>;
  /** Adds a source of queue depths for the `queue_depth` gauge; returns its remover. */
  addDepthSource(source: QueueDepthSource): () => void;
}

/** Handler durations (seconds): 5 ms to 5 min, since handlers may process files. */
export const HANDLER_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];

const byRegistry = new WeakMap<Registry, MessagingMetrics>();

/**
 * The messaging metrics on `registry` (created on first use, then shared by every messaging
 * instance of the registry). Labels are bounded: event types of the catalogue, queue names, outcomes.
 */
export function messagingMetrics(registry: Registry): MessagingMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const sources = new Set<QueueDepthSource>();
  const metrics: MessagingMetrics = {
    published: new Counter({
      name: 'messages_published_total',
      help: 'Events published, by event type and result (ok, unroutable, rejected, invalid, error).',
      labelNames: ['event_type', 'result'],
      registers: [registry],
    }),
    consumed: new Counter({
      name: 'messages_consumed_total',
      help: 'Messages consumed, by queue and outcome (ack, retry, deferred, dead_letter, duplicate, invalid).',
      labelNames: ['queue', 'outcome'],
      registers: [registry],
    }),
    handlerDuration: new Histogram({
      name: 'message_handler_duration_seconds',
      help: 'Time spent in message handlers, by queue.',
      labelNames: ['queue'],
      buckets: HANDLER_DURATION_BUCKETS,
      registers: [registry],
    }),
    retried: new Counter({
      name: 'messages_retried_total',
      help: 'Messages sent to a delay queue for another attempt, by queue.',
      labelNames: ['queue'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'messages_dead_lettered_total',
      help: 'Messages sent to a dead-letter queue, by queue and reason kind (invalid, rejected, retries_exhausted).',
      labelNames: ['queue', 'reason_kind'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'queue_depth',
      help: 'Messages ready in a queue (work, delay and dead-letter queues of this service), read at scrape time.',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        const results = await Promise.allSettled([...sources].map((source) => source()));
        for (const result of results) {
          if (result.status !== 'fulfilled') continue;
          for (const [queue, messages] of result.value) this.set({ queue }, messages);
        }
      },
    }),
    queueConsumers: new Gauge({
      name: 'queue_consumers',
      help: 'Consumers attached to a work queue this service consumes (every replica counts), read at scrape time.',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        const results = await Promise.allSettled([...sources].map((source) => source()));
        for (const result of results) {
          if (result.status !== 'fulfilled') continue;
          for (const [queue, , consumers] of result.value) {
            if (consumers !== undefined) this.set({ queue }, consumers);
          }
        }
      },
    }),
    addDepthSource(source) {
      sources.add(source);
      return () => sources.delete(source);
    },
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
