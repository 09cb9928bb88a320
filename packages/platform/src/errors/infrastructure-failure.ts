import { UpstreamHttpError } from '../http/client/client-errors.js';
import { classifyTransportError } from '../http/client/transport-failures.js';
import { messagingErrors } from '../messaging/messaging-errors.js';
import { isDomainError } from './domain-error.js';

/** Upstream statuses that say "not now" rather than "not this": overloaded, unavailable, gateway trouble. */
const UNAVAILABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * True when `error` says the infrastructure failed, not the work being done: a service or the broker
 * could not be reached, timed out, is paused by its circuit breaker, or answered 429/502/503/504; or a
 * response body broke off mid-transfer. Such a failure says nothing about the input: a consumer waits
 * for the infrastructure (`defer`) instead of using one of the job's attempts. A 500 is not one (the
 * same request would fail again: a bug to surface, not to wait out), nor is an unroutable publish.
 */
export function isInfrastructureFailure(error: unknown): boolean {
  if (error instanceof UpstreamHttpError) return UNAVAILABLE_STATUSES.has(error.status);
  if (isDomainError(error)) {
    return error.kind === 'unavailable' && error.code !== messagingErrors.UNROUTABLE.definition.code;
  }
  return classifyTransportError(error) !== undefined;
}
