import { Pool } from 'undici';
import { isDomainError } from '../../errors/domain-error.js';
import { createCallSignal } from './call-deadline.js';
import { createUpstreamBreaker } from './circuit-breaker.js';
import { serviceClientErrors, UpstreamHttpError } from './client-errors.js';
import { createClientMetrics } from './client-metrics.js';
import {
  type CircuitStateName,
  resolveClientOptions,
  type ServiceClient,
  type ServiceClientOptions,
  type ServiceRequest,
  type ServiceResponse,
  type ServiceStreamResponse,
} from './client-options.js';
import {
  appendQuery,
  buildHeaders,
  currentOrNewRequestId,
  describeRoute,
  encodeBody,
  fillPathTemplate,
} from './outgoing-request.js';
import { decideRetry, isIdempotentRequest, runWithRetries } from './retry-policy.js';
import { type AttemptResult, type PreparedCall, sendAttempt } from './send-attempt.js';
import { isTransportDomainError, upstreamTimeout } from './transport-failures.js';

/**
 * Creates the HTTP client one service uses to call one upstream (business service -> data service):
 * - one undici `Pool` of keep-alive connections, with connect, headers and body timeouts per attempt and
 *   an overall deadline per call;
 * - `x-request-id` from the current request context, `authorization: Bearer <serviceToken>`,
 *   `user-agent: flotilla-<callerName>`, and the `injectHeaders` hook for trace context;
 * - bounded retries with exponential backoff and full jitter, only for idempotent requests with a
 *   replayable body, only on connection errors, timeouts, 502/503/504 and 429 (honouring `Retry-After`: a
 *   429 or 503 asking for longer than the backoff cap is not retried);
 * - a circuit breaker that opens after consecutive connection errors, timeouts or 5xx (never 4xx);
 * - failures as domain errors: `UPSTREAM.UNAVAILABLE`, `UPSTREAM.TIMEOUT`, `UPSTREAM.CIRCUIT_OPEN`,
 *   `UPSTREAM.BAD_RESPONSE`, and {@link UpstreamHttpError} for statuses the caller did not expect.
 *
 * The token never appears in errors, logs or metrics.
 */
export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const config = resolveClientOptions(options);
  const upstream = config.name;
  const logger = options.logger?.child({ upstream });
  const metrics = createClientMetrics(options.metrics, upstream);
  const pool = new Pool(config.origin, {
    connections: config.connections,
    connect: { timeout: config.connectTimeoutMs },
    headersTimeout: config.headersTimeoutMs,
    bodyTimeout: config.bodyTimeoutMs,
  });
  const breaker = createUpstreamBreaker<AttemptResult>({
    upstream,
    ...config.breaker,
    isFailure: isTransportDomainError,
    isFailedResult: (result) => result.status >= 500,
    onStateChange(state) {
      metrics.recordCircuitState(state);
      if (state === 'open') logger?.warn({ circuit: state }, `circuit to ${upstream} opened`);
      else logger?.info({ circuit: state }, `circuit to ${upstream} is ${state.replace('_', '-')}`);
    },
  });

  async function execute(request: ServiceRequest, mode: PreparedCall['mode']): Promise<AttemptResult> {
    const { method } = request;
    const route = describeRoute(request.path, request);
    const concretePath = request.params ? fillPathTemplate(request.path, request.params) : request.path;
    const body = encodeBody(request.body);
    const requestId = currentOrNewRequestId();
    const timeoutMs = request.timeoutMs ?? config.requestTimeoutMs;
    const call = createCallSignal(timeoutMs, request.signal);
    const prepared: PreparedCall = {
      upstream,
      method,
      path: `${config.basePath}${appendQuery(concretePath, request.query)}`,
      route,
      body,
      headers() {
        const headers = buildHeaders({
          callerName: config.callerName,
          serviceToken: config.serviceToken,
          requestId,
          body,
          headers: request.headers,
        });
        options.injectHeaders?.(headers);
        return headers;
      },
      isExpected: (status) =>
        request.expect ? request.expect.includes(status) : status >= 200 && status < 300,
      mode,
      maxResponseBytes: config.maxResponseBytes,
      call,
      timeoutMs,
      ...(request.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: request.headersTimeoutMs }),
    };
    const replayable = body.kind !== 'stream' && isIdempotentRequest(method, request.idempotent);
    let streaming = false;
    try {
      const result = await runWithRetries(() => attemptThroughBreaker(prepared), {
        retries: replayable ? config.retry.retries : 0,
        settle: (attempt) => ({ status: attempt.status, headers: attempt.headers }),
        decide: (settlement, retry) =>
          'status' in settlement && prepared.isExpected(settlement.status)
            ? { retry: false }
            : decideRetry(settlement, retry, config.retry),
        signal: call.signal,
        onRetry(retry, decision) {
          metrics.countRetry(method, route);
          logger?.warn(
            { method, route, retry, delay_ms: decision.delayMs, reason: decision.reason },
            `retrying ${method} ${route} on ${upstream}`,
          );
        },
      });
      if (call.cancelled()) {
        result.stream?.destroy();
        throw call.signal.reason;
      }
      if (!result.expected) {
        throw new UpstreamHttpError({ upstream, method, route, status: result.status, body: result.body });
      }
      if (result.stream) {
        streaming = true;
        // The deadline covers the wait for the headers; a streamed body is bounded by the body timeout.
        call.clearDeadline();
        result.stream.once('close', () => call.dispose());
      }
      return result;
    } finally {
      if (!streaming) call.dispose();
    }
  }

  async function attemptThroughBreaker(prepared: PreparedCall): Promise<AttemptResult> {
    try {
      return await breaker.execute(() => sendAttempt(pool, prepared, metrics), prepared.call.signal);
    } catch (error) {
      const { call } = prepared;
      if (isDomainError(error, serviceClientErrors.CIRCUIT_OPEN.definition.code)) {
        metrics.countCircuitRejection();
      } else if (!isDomainError(error) && call.signal.aborted) {
        // Aborted while waiting for another call's half-open probe: report it like any aborted attempt.
        throw call.cancelled()
          ? call.signal.reason
          : upstreamTimeout(prepared, `deadline of ${prepared.timeoutMs} ms`);
      }
      throw error;
    }
  }

  return {
    name: upstream,
    async request<T>(request: ServiceRequest): Promise<ServiceResponse<T>> {
      const result = await execute(request, 'buffer');
      return { status: result.status, headers: result.headers, body: result.body as T };
    },
    async json<T>(
      method: ServiceRequest['method'],
      path: string,
      rest: Omit<ServiceRequest, 'method' | 'path'> = {},
    ) {
      const result = await execute({ ...rest, method, path }, 'buffer');
      return result.body as T;
    },
    async stream(request: ServiceRequest): Promise<ServiceStreamResponse> {
      const result = await execute(request, 'stream');
      if (!result.stream) throw new TypeError('Streamed call returned no body stream');
      return { status: result.status, headers: result.headers, body: result.stream };
    },
    circuitState: (): CircuitStateName => breaker.state(),
    close: () => pool.close(),
  };
}
