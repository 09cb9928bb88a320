import type { Component } from './component.js';
import { chroma } from './components/chroma.js';
import { nodeExporter, postgresExporter, redisExporter } from './components/exporters.js';
import { ferretdb } from './components/ferretdb.js';
import { jaeger } from './components/jaeger.js';
import { nginx } from './components/nginx.js';
import { postgres } from './components/postgres.js';
import { prometheus } from './components/prometheus.js';
import { rabbitmq } from './components/rabbitmq.js';
import { redis } from './components/redis.js';

/** Every component `up` provides, in start order (`down` stops them in reverse). */
export const COMPONENTS: readonly Component[] = [postgres, redis, rabbitmq, ferretdb, chroma, nginx];

/**
 * Optional components, provided only by `up --observability` (Jaeger takes minutes to build once):
 * traces, the infrastructure exporters and Prometheus.
 */
export const OBSERVABILITY_COMPONENTS: readonly Component[] = [
  jaeger,
  nodeExporter,
  postgresExporter,
  redisExporter,
  prometheus,
];

/** Every component `down` and `status` know about. */
export const ALL_COMPONENTS: readonly Component[] = [...COMPONENTS, ...OBSERVABILITY_COMPONENTS];
