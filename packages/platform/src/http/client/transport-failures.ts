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
