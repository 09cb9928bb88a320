import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** HTTP methods the service client sends. */
export type ServiceHttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** Retry budget of a client. Retries only ever apply to idempotent requests with a replayable body. */
export interface RetryOptions {
  /** Retries after the first attempt, so at most `retries + 1` requests per call. `0` disables retries. */
  retries: number;
  /** Upper bound of the first backoff; doubles on each retry (full jitter: a random delay below the bound). */
  baseDelayMs: number;
  /** Cap of any single backoff, including a 429's `Retry-After` (a longer `Retry-After` is not retried). */
  maxDelayMs: number;
}

/** Circuit breaker settings of a client. */
export interface BreakerOptions {
  /** Consecutive failures (connection errors, timeouts, 5xx) that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe call is let through. */
  halfOpenAfterMs: number;
}

/** Options of {@link createServiceClient}. */
export interface ServiceClientOptions {
  /** The upstream's name in logs, metrics and error details, e.g. `data-postgres`. */
  name: string;
  /** Origin (and optional path prefix) of the upstream, e.g. `http://127.0.0.1:8001`. */
  baseUrl: string;
  /** Our own service name; sent as `user-agent: flotilla-<callerName>`. */
  callerName: string;
  /** Sent as `authorization: Bearer <serviceToken>`. Never logged nor put in errors. */
  serviceToken?: string;
  /** TCP connect timeout per attempt. Default 2000 ms. */
  connectTimeoutMs?: number;
  /**
   * Time allowed for the response headers per attempt. Default 5000 ms. undici keeps this timer (and
   * the body timer) to a resolution of about one second; use the call deadline for finer bounds.
   */
  headersTimeoutMs?: number;
  /** Longest silence allowed between two chunks of a response body. Default 10000 ms. */
  bodyTimeoutMs?: number;
  /**
   * Default overall deadline of one call, all attempts and backoffs included (until the headers for
   * {@link ServiceClient.stream}). Default 10000 ms; a request may override it with `timeoutMs`.
   */
  requestTimeoutMs?: number;
  /** Most keep-alive connections in the pool; requests beyond them wait for a free one. Default 64. */
  connections?: number;
  /** Largest response body {@link ServiceClient.request} buffers. Default 16 MiB; stream bigger ones. */
  maxResponseBytes?: number;
  /** Retry budget. Default `{ retries: 2, baseDelayMs: 100, maxDelayMs: 2000 }`. */
  retry?: Partial<RetryOptions>;
  /** Circuit breaker. Default `{ failureThreshold: 5, halfOpenAfterMs: 10000 }`. */
  breaker?: Partial<BreakerOptions>;
  /** Where retries and circuit changes are logged. */
  logger?: Logger;
  /** Registry that receives the client metrics (`http_client_*`). */
  metrics?: Registry;
  /**
   * Trace propagation hook: called with the outgoing headers of every attempt, just before it is sent,
   * so the tracing module can add W3C `traceparent` / `tracestate`. It must not remove headers.
   */
  injectHeaders?: (headers: Record<string, string>) => void;
}

/** Query string values; `undefined` and `null` are skipped, arrays repeat the key. */
export type QueryValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number | boolean)[];

/** One call through the service client. */
export interface ServiceRequest {
  method: ServiceHttpMethod;
  /** Path below the base URL. With `params`, a template such as `/users/:id`. */
  path: string;
  /** Values for the `:name` placeholders of `path`, URL-encoded. The template becomes the metric route. */
  params?: Record<string, string | number>;
  /** Route template for metrics when `path` is already concrete, e.g. `/users/:id`. */
  routeTemplate?: string;
  query?: Record<string, QueryValue>;
  /** Extra headers. `authorization`, `x-request-id` and `user-agent` are set by the client. */
  headers?: Record<string, string>;
  /**
   * JSON-encoded unless it is a `Uint8Array` (sent as bytes) or a `Readable` (streamed, never retried).
   * A string is sent as a JSON string.
   */
  body?: unknown;
  /** Marks a non-idempotent method as safe to retry (e.g. a POST carrying an `Idempotency-Key`). */
  idempotent?: boolean;
  /** Statuses returned to the caller instead of thrown. Default: any 2xx. */
  expect?: readonly number[];
  /** Cancels the call; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overall deadline of this call, overriding the client's `requestTimeoutMs`. */
  timeoutMs?: number;
  /**
   * How long the upstream may take to start its answer once the request is sent, overriding the
   * client's `headersTimeoutMs`: for a call whose answer waits for real work (an upload is stored
   * before it is answered), so the caller does not give up on an answer already under way.
   */
  headersTimeoutMs?: number;
}

/** A buffered response. `body` is parsed JSON (or text), and is NOT validated against `T`. */
export interface ServiceResponse<T> {
  status: number;
  headers: IncomingHttpHeaders;
  body: T;
}

/** A streamed response: the caller must consume `body` fully or destroy it. */
export interface ServiceStreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

/** Options of {@link ServiceClient.json}: a {@link ServiceRequest} without method and path. */
export type JsonRequestOptions = Omit<ServiceRequest, 'method' | 'path'>;

/** Circuit state of a client, for readiness checks and debugging. */
export type CircuitStateName = 'closed' | 'open' | 'half_open';

/** The service-to-service HTTP client of one upstream. Create with {@link createServiceClient}. */
export interface ServiceClient {
  /** The upstream's name. */
  readonly name: string;
  /** Sends a request and buffers the response; throws unless the status is expected. */
  request<T = unknown>(request: ServiceRequest): Promise<ServiceResponse<T>>;
  /** Shorthand for typed clients: `json<User>('GET', '/users/:id', { params: { id } })` returns the body. */
  json<T = unknown>(method: ServiceHttpMethod, path: string, options?: JsonRequestOptions): Promise<T>;
  /** Sends a request and returns the response body unconsumed once an expected status arrives. */
  stream(request: ServiceRequest): Promise<ServiceStreamResponse>;
  /** Current circuit state. */
  circuitState(): CircuitStateName;
  /** Waits for in-flight requests, then closes the pooled connections. */
  close(): Promise<void>;
}

/** Options with every default filled in. */
export interface ResolvedClientOptions {
  name: string;
  origin: string;
  basePath: string;
  callerName: string;
  serviceToken: string | undefined;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  requestTimeoutMs: number;
  connections: number;
  maxResponseBytes: number;
  retry: RetryOptions;
  breaker: BreakerOptions;
}

/** Fills in defaults and splits the base URL into the pool origin and a path prefix. */
export function resolveClientOptions(options: ServiceClientOptions): ResolvedClientOptions {
  const url = new URL(options.baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Service client ${options.name}: base URL must be http(s), got ${url.protocol}`);
  }
  return {
    name: options.name,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    callerName: options.callerName,
    serviceToken: options.serviceToken,
    connectTimeoutMs: options.connectTimeoutMs ?? 2000,
    headersTimeoutMs: options.headersTimeoutMs ?? 5000,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    connections: options.connections ?? 64,
    maxResponseBytes: options.maxResponseBytes ?? 16 * 1024 * 1024,
    retry: { retries: 2, baseDelayMs: 100, maxDelayMs: 2000, ...options.retry },
    breaker: { failureThreshold: 5, halfOpenAfterMs: 10_000, ...options.breaker },
  };
}
