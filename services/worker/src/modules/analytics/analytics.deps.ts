import type { DataMongoClient } from '@flotilla/contracts';
import type { Messaging, ServiceRuntime } from '@flotilla/platform';
import { Counter } from 'prom-client';
import type { WorkerConfig } from '../../config.js';
import type { ConsumerStarter } from '../../shared/consumer-starter.js';
import { ANALYTICS_QUEUE, createAnalyticsConsumer } from './adapters/analytics.consumer.js';
import { createRecordEvent, type RecordEvent } from './application/record-event.use-case.js';

/** Wires the analytics consumer: every domain event, in batches, into data-mongo. */
export function createAnalyticsModule(deps: {
  config: WorkerConfig;
  runtime: ServiceRuntime;
  dataMongo: DataMongoClient;
  messaging: Messaging;
  retryDelaysMs: readonly number[] | undefined;
}): { consumers: ConsumerStarter[]; recordEvent: RecordEvent } {
  const { analytics } = deps.config;
  const batches = new Counter({
    name: 'worker_analytics_batches_total',
    help: 'Analytics ingest calls, by outcome.',
    labelNames: ['outcome'],
    registers: [deps.runtime.metrics.registry],
  });
  const events = new Counter({
    name: 'worker_analytics_events_total',
    help: 'Events sent to analytics, by result (inserted, duplicate).',
    labelNames: ['result'],
    registers: [deps.runtime.metrics.registry],
  });
  const recordEvent = createRecordEvent({
    sink: deps.dataMongo.analytics,
    batchSize: analytics.batchSize,
    maxWaitMs: analytics.maxWaitMs,
    onBatch(_size, result, error) {
      batches.inc({ outcome: error ? 'error' : 'ok' });
      if (result) {
        events.inc({ result: 'inserted' }, result.inserted);
        events.inc({ result: 'duplicate' }, result.duplicates);
      }
    },
  });
  const handler = createAnalyticsConsumer({ recordEvent });
  return {
    recordEvent,
    consumers: [
      {
        name: 'analytics',
        start: () =>
          deps.messaging.consume({
            ...ANALYTICS_QUEUE,
            retryDelaysMs: deps.retryDelaysMs ?? ANALYTICS_QUEUE.retryDelaysMs,
            prefetch: analytics.prefetch,
            handler,
          }),
      },
    ],
  };
}
