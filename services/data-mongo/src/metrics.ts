import { HTTP_DURATION_BUCKETS } from '@flotilla/platform';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * The MongoDB operations data-mongo times, a closed set so the metric's cardinality stays bounded.
 * `blobs.upload` lasts the whole transfer; downloads are not timed (they last as long as the client reads).
 */
export type MongoOperation =
  | 'ping'
  | 'indexes.ensure'
  | 'events.insert'
  | 'events.find'
  | 'events.purge'
  | 'analytics.activity'
  | 'analytics.active_users'
  | 'analytics.processing_times'
  | 'analytics.savings'
  | 'blobs.upload'
  | 'blobs.find'
  | 'blobs.list'
  | 'blobs.delete';

/** data-mongo's own metrics, next to the platform's HTTP metrics. */
export interface DataMongoMetrics {
  /** `blob_bytes_total{direction="in"|"out"}`: bytes stored by uploads and sent by downloads. */
  blobBytes: Counter<'direction'>;
  /** `analytics_events_ingested_total{result="inserted"|"duplicate"}`. */
  eventsIngested: Counter<'result'>;
  /** `analytics_retention_deleted_total`: events deleted by the retention sweep (servers without TTL). */
  retentionDeleted: Counter;
  /** `mongo_operation_duration_seconds{operation,outcome}`, recorded through `createMongoTimer`. */
  mongoDuration: Histogram<'operation' | 'outcome'>;
}

/** Creates data-mongo's metrics in the service registry. */
export function createDataMongoMetrics(registry: Registry): DataMongoMetrics {
  const registers = [registry];
  const mongoDuration = new Histogram({
    name: 'mongo_operation_duration_seconds',
    help: 'Duration of MongoDB operations, by operation and outcome.',
    labelNames: ['operation', 'outcome'],
    buckets: [...HTTP_DURATION_BUCKETS, 30, 60],
    registers,
  });
  return {
    blobBytes: new Counter({
      name: 'blob_bytes_total',
      help: 'Blob bytes stored (direction="in") and sent (direction="out").',
      labelNames: ['direction'],
      registers,
    }),
    eventsIngested: new Counter({
      name: 'analytics_events_ingested_total',
      help: 'Analytics events received, by result: inserted, or duplicate of an event already recorded.',
      labelNames: ['result'],
      registers,
    }),
    retentionDeleted: new Counter({
      name: 'analytics_retention_deleted_total',
      help: 'Analytics events deleted by the retention sweep (used where the server has no TTL indexes).',
      registers,
    }),
    mongoDuration,
  };
}
