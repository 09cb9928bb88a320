import { type DomainError, isDomainError } from '../../errors/domain-error.js';
import { platformErrors } from '../../errors/platform-errors.js';

/** How a request failed before an HTTP status could be read. */
export type TransportFailureKind = 'timeout' | 'connection';

const TIMEOUT_CODES: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
  ETIMEDOUT: 'connection timed out',
};

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return errorCode((error as { cause?: unknown }).cause);
}

/** Classifies an error raised by undici; `undefined` for anything that is not a transport failure. */
export function classifyTransportError(
  error: unknown,
): { kind: TransportFailureKind; reason: string } | undefined {
  const code = errorCode(error);
  if (code === undefined) return undefined;
  const timeoutReason = TIMEOUT_CODES[code];
  if (timeoutReason !== undefined) return { kind: 'timeout', reason: timeoutReason };
  if (CONNECTION_CODES.has(code)) return { kind: 'connection', reason: code };
  return undefined;
}

/** What a transport error message may say about the call (never headers, so never the token). */
export interface CallDescription {
  upstream: string;
  method: string;
  route: string;
}

/** `UPSTREAM.TIMEOUT` for a call that did not finish in time. */
export function upstreamTimeout(call: CallDescription, reason: string, cause?: unknown): DomainError {
  return platformErrors.UPSTREAM_TIMEOUT({
    detail: `${call.upstream} did not answer ${call.method} ${call.route} in time (${reason})`,
    cause,
  });
}

/** `UPSTREAM.UNAVAILABLE` for a call that could not reach the upstream. */
export function upstreamUnavailable(call: CallDescription, reason: string, cause?: unknown): DomainError {
  return platformErrors.UPSTREAM_UNAVAILABLE({
    detail: `${call.upstream} could not be reached for ${call.method} ${call.route} (${reason})`,
    cause,
  });
}

/** Turns an undici transport error into the matching domain error, or `undefined` when it is not one. */
export function toTransportDomainError(call: CallDescription, error: unknown): DomainError | undefined {
  const failure = classifyTransportError(error);
  if (!failure) return undefined;
  return failure.kind === 'timeout'
    ? upstreamTimeout(call, failure.reason, error)
    : upstreamUnavailable(call, failure.reason, error);
}

/** True for the errors that mean the upstream is unhealthy: they are retried and trip the breaker. */
export function isTransportDomainError(error: unknown): boolean {
  return (
    isDomainError(error, platformErrors.UPSTREAM_TIMEOUT.definition.code) ||
    isDomainError(error, platformErrors.UPSTREAM_UNAVAILABLE.definition.code)
  );
}

/** Transport failures that happen before a request is sent: the upstream cannot have acted on it. */
const BEFORE_SENDING = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * True when a failed call may still have been carried out by the upstream: it timed out, or its
 * connection broke, with no answer to say what happened (a write may have committed). False for an
 * answer of any status, a connection refused or unreachable, a call the circuit breaker refused, and
 * errors that are not transport failures. A caller that undoes its own work after a failed write (say,
 * deletes a file the write would have referred to) must not do so when this is true.
 */
export function mayHaveReachedUpstream(error: unknown): boolean {
  const timedOut = isDomainError(error, platformErrors.UPSTREAM_TIMEOUT.definition.code);
  const unreachable = isDomainError(error, platformErrors.UPSTREAM_UNAVAILABLE.definition.code);
  if (!timedOut && !unreachable) return false;
  const code = errorCode((error as Error).cause);
  return code === undefined ? timedOut : !BEFORE_SENDING.has(code);
}
