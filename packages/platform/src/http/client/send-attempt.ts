import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Pool } from 'undici';
import { isDomainError } from '../../errors/domain-error.js';
import type { CallSignal } from './call-deadline.js';
import { serviceClientErrors } from './client-errors.js';
import type { ClientMetrics } from './client-metrics.js';
import { statusClass } from './client-metrics.js';
import type { ServiceHttpMethod } from './client-options.js';
import type { EncodedBody } from './outgoing-request.js';
import { decodeBody, ResponseTooLargeError, readBoundedBody } from './response-body.js';
import { classifyTransportError, toTransportDomainError, upstreamTimeout } from './transport-failures.js';

/** Everything one attempt needs; built once per call and reused by its retries. */
export interface PreparedCall {
  upstream: string;
  method: ServiceHttpMethod;
  /** Full path with query string, as sent. */
  path: string;
  /** Route template, for metrics, logs and error details. */
  route: string;
  body: EncodedBody;
  /** Builds the headers of one attempt (the trace hook runs per attempt). */
  headers: () => Record<string, string>;
  /** Statuses the caller wants back rather than thrown. */
  isExpected: (status: number) => boolean;
  /** `stream` leaves the body of an expected response unconsumed. */
  mode: 'buffer' | 'stream';
  maxResponseBytes: number;
  call: CallSignal;
  /** Deadline of the call, for the timeout message. */
  timeoutMs: number;
  /** The call's own wait for the answer's headers, when it differs from the pool's. */
  headersTimeoutMs?: number;
}

/** The outcome of one attempt that produced an HTTP status. */
export interface AttemptResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** Whether the caller expects this status. */
  expected: boolean;
  /** Decoded body (JSON, text or `undefined`), unless the body is streamed. */
  body: unknown;
  /** The unconsumed body, in stream mode for an expected status. */
  stream?: Readable;
}

function failureLabel(error: unknown, call: CallSignal): string {
  if (call.timedOut()) return 'timeout';
  if (call.cancelled()) return 'cancelled';
  const failure = classifyTransportError(error);
  if (failure) return failure.kind === 'timeout' ? 'timeout' : 'connection_error';
  return 'error';
}

/** Maps what undici threw to what the caller sees: domain errors, or the caller's own abort reason. */
function toAttemptError(prepared: PreparedCall, error: unknown): unknown {
  const { call } = prepared;
  if (call.timedOut()) return upstreamTimeout(prepared, `deadline of ${prepared.timeoutMs} ms`, error);
  if (call.cancelled()) return call.signal.reason;
  if (error instanceof ResponseTooLargeError) {
    return serviceClientErrors.BAD_RESPONSE({
      detail: `${prepared.upstream} answered ${prepared.method} ${prepared.route} with more than ${error.limit} bytes`,
    });
  }
  return toTransportDomainError(prepared, error) ?? error;
}

/**
 * Sends one request through the pool and reads its answer. Transport failures become
 * `UPSTREAM.TIMEOUT` / `UPSTREAM.UNAVAILABLE`; an expected status whose body cannot be decoded becomes
 * `UPSTREAM.BAD_RESPONSE`. Every attempt is measured, whatever its outcome.
 */
export async function sendAttempt(
  pool: Pool,
  prepared: PreparedCall,
  metrics: ClientMetrics,
): Promise<AttemptResult> {
  const started = performance.now();
  let label = 'error';
  try {
    const response = await pool.request({
      method: prepared.method,
      path: prepared.path,
      headers: prepared.headers(),
      body: prepared.body.kind === 'none' ? null : prepared.body.data,
      signal: prepared.call.signal,
      ...(prepared.headersTimeoutMs === undefined ? {} : { headersTimeout: prepared.headersTimeoutMs }),
    });
    label = statusClass(response.statusCode);
    const expected = prepared.isExpected(response.statusCode);
    const base = { status: response.statusCode, headers: response.headers, expected };
    if (prepared.mode === 'stream' && expected) return { ...base, body: undefined, stream: response.body };
    const buffer = await readBoundedBody(response.body, prepared.maxResponseBytes);
    try {
      return { ...base, body: decodeBody(buffer, response.headers) };
    } catch (error) {
      if (!expected) return { ...base, body: buffer.toString('utf8') };
      throw serviceClientErrors.BAD_RESPONSE({
        detail: `${prepared.upstream} answered ${prepared.method} ${prepared.route} with a body that is not valid JSON`,
        cause: error,
      });
    }
  } catch (error) {
    if (isDomainError(error)) throw error;
    const failure = failureLabel(error, prepared.call);
    // A body that fails after the status arrived keeps its status class unless the failure is telling.
    if (failure !== 'error' || label === 'error') label = failure;
    throw toAttemptError(prepared, error);
  } finally {
    metrics.observeAttempt(
      { method: prepared.method, route: prepared.route, statusClass: label },
      (performance.now() - started) / 1000,
    );
  }
}
