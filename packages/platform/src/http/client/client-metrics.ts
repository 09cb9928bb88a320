import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { HTTP_DURATION_BUCKETS } from '../../metrics/registry.js';
import type { CircuitStateName } from './client-options.js';

/** Labels of one attempt: never raw paths or ids, so cardinality stays bounded. */
export interface AttemptLabels {
  method: string;
  /** Route template, e.g. `/users/:id`. */
  route: string;
  /** `2xx`..`5xx`, or `timeout`, `connection_error`, `cancelled`, `error` when no status arrived. */
  statusClass: string;
}

/** The metrics one client records. A client without a registry gets a recorder that does nothing. */
export interface ClientMetrics {
  /** One request sent to the upstream (each retry is its own attempt). */
  observeAttempt(labels: AttemptLabels, seconds: number): void;
  /** A retry is about to be made. */
  countRetry(method: string, route: string): void;
  /** A call was refused without reaching the upstream because the circuit is open. */
  countCircuitRejection(): void;
  /** The circuit changed state. */
  recordCircuitState(state: CircuitStateName): void;
}

/** Value of the `http_client_circuit_state` gauge for each state. */
export const CIRCUIT_STATE_VALUES: Record<CircuitStateName, number> = { closed: 0, half_open: 1, open: 2 };

/** `2xx`, `4xx`, ... for a status. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

function getOrCreate<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/**
 * Creates (or reuses, when several clients share a registry) the client metrics:
 * - `http_client_request_duration_seconds{upstream,method,route,status_class}` histogram, per attempt
 *   (up to the end of the body; up to the headers for streamed responses);
 * - `http_client_retries_total{upstream,method,route}`;
 * - `http_client_circuit_rejections_total{upstream}`: calls failed fast by an open circuit;
 * - `http_client_circuit_state{upstream}` gauge: 0 closed, 1 half-open, 2 open;
 * - `http_client_circuit_transitions_total{upstream,state}`: state changes.
 */
export function createClientMetrics(registry: Registry | undefined, upstream: string): ClientMetrics {
  if (!registry) {
    return { observeAttempt() {}, countRetry() {}, countCircuitRejection() {}, recordCircuitState() {} };
  }
  const registers = [registry];
  const duration = getOrCreate(
    registry,
    'http_client_request_duration_seconds',
    () =>
      new Histogram({
        name: 'http_client_request_duration_seconds',
        help: 'Duration of requests sent to upstream services, per attempt, by route template.',
        labelNames: ['upstream', 'method', 'route', 'status_class'],
        buckets: HTTP_DURATION_BUCKETS,
        registers,
      }),
  );
  const retries = getOrCreate(
    registry,
    'http_client_retries_total',
    () =>
      new Counter({
        name: 'http_client_retries_total',
        help: 'Retries of requests to upstream services.',
        labelNames: ['upstream', 'method', 'route'],
        registers,
      }),
  );
  const rejections = getOrCreate(
    registry,
    'http_client_circuit_rejections_total',
    () =>
      new Counter({
        name: 'http_client_circuit_rejections_total',
        help: 'Calls failed fast because the circuit to the upstream was open.',
        labelNames: ['upstream'],
        registers,
      }),
  );
  const circuitState = getOrCreate(
    registry,
    'http_client_circuit_state',
    () =>
      new Gauge({
        name: 'http_client_circuit_state',
        help: 'Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.',
        labelNames: ['upstream'],
        registers,
      }),
  );
  const transitions = getOrCreate(
    registry,
    'http_client_circuit_transitions_total',
    () =>
      new Counter({
        name: 'http_client_circuit_transitions_total',
        help: 'Circuit breaker state changes per upstream, by the state entered.',
        labelNames: ['upstream', 'state'],
        registers,
      }),
  );
  circuitState.set({ upstream }, CIRCUIT_STATE_VALUES.closed);
  return {
    observeAttempt(labels, seconds) {
      duration.observe(
        { upstream, method: labels.method, route: labels.route, status_class: labels.statusClass },
        seconds,
      );
    },
    countRetry(method, route) {
      retries.inc({ upstream, method, route });
    },
    countCircuitRejection() {
      rejections.inc({ upstream });
    },
    recordCircuitState(state) {
      circuitState.set({ upstream }, CIRCUIT_STATE_VALUES[state]);
      transitions.inc({ upstream, state });
    },
  };
}
