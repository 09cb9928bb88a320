import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The service's metric registry plus the HTTP RED metrics every service records. */
export interface ServiceMetrics {
  registry: Registry;
  httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  httpRequestsTotal: Counter<'method' | 'route' | 'status_code'>;
}

/** Latency buckets (seconds) for HTTP servers and clients: 1 ms to 10 s. */
export const HTTP_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Creates a registry with Node runtime metrics and HTTP RED metrics, labelled by route template
 * (never raw paths or ids, so label cardinality stays bounded). `service` is a default label.
 */
export function createMetrics(options: { service: string; version: string }): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: registry });
  const info = new Counter({
    name: 'flotilla_service_info',
    help: 'Service build information (always 1).',
    labelNames: ['version'],
    registers: [registry],
  });
  info.inc({ version: options.version });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP server request duration in seconds, by route template.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
    }),
    httpRequestsTotal: new Counter({
      name: 'http_requests_total',
      help: 'HTTP server requests, by route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    }),
  };
}
