import { DomainError, defineErrors, type ErrorKind } from '../../errors/domain-error.js';
import type { FieldError } from '../../errors/problem.js';

/**
 * Errors of the service client, next to the platform's `UPSTREAM.UNAVAILABLE` (connection failures) and
 * `UPSTREAM.TIMEOUT` (timeouts and deadlines).
 */
export const serviceClientErrors = defineErrors({
  CIRCUIT_OPEN: {
    code: 'UPSTREAM.CIRCUIT_OPEN',
    kind: 'unavailable',
    title: 'A service this request depends on is failing; calls to it are paused',
  },
  BAD_RESPONSE: {
    code: 'UPSTREAM.BAD_RESPONSE',
    kind: 'internal',
    title: 'A service this request depends on sent a response that could not be read',
  },
  HTTP_ERROR: {
    code: 'UPSTREAM.HTTP_ERROR',
    kind: 'internal',
    title: 'A service this request depends on answered with an error',
  },
});

/** Problem details (RFC 9457) as an upstream sent them; every field is optional since it is foreign input. */
export interface UpstreamProblem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  /** The upstream's stable error code, e.g. `USER.NOT_FOUND`. */
  code?: string;
  errors?: FieldError[];
  request_id?: string;
  [extension: string]: unknown;
}

/** Reads problem details out of a parsed response body; `undefined` when the body is not a problem. */
export function parseProblem(body: unknown): UpstreamProblem | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  const looksLikeProblem = ['type', 'title', 'code'].some((key) => typeof record[key] === 'string');
  if (!looksLikeProblem) return undefined;
  const problem: UpstreamProblem = { ...record };
  for (const key of ['type', 'title', 'detail', 'code', 'request_id'] as const) {
    if (problem[key] !== undefined && typeof problem[key] !== 'string') delete problem[key];
  }
  if (problem.status !== undefined && typeof problem.status !== 'number') delete problem.status;
  if (problem.errors !== undefined && !Array.isArray(problem.errors)) delete problem.errors;
  return problem;
}

/** Longest `retry_after_seconds` passed on from an upstream's problem (an hour). */
const MAX_UPSTREAM_RETRY_AFTER_SECONDS = 3600;

/**
 * The `retry_after_seconds` of an upstream's 503 problem, when it names a sane one (a whole second to
 * an hour): the edge's own 503 passes it on as `Retry-After`.
 */
function upstreamRetryAfterSeconds(status: number, problem: UpstreamProblem | undefined): number | undefined {
  const value = problem?.retry_after_seconds;
  if (status !== 503 || typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return value >= 1 && value <= MAX_UPSTREAM_RETRY_AFTER_SECONDS ? Math.ceil(value) : undefined;
}

/** Where an {@link UpstreamHttpError} came from. */
export interface UpstreamHttpErrorInit {
  upstream: string;
  method: string;
  /** Route template of the call (no ids), e.g. `/users/:id`. */
  route: string;
  status: number;
  /** The parsed response body (JSON or text), for logs and for callers that inspect it. */
  body: unknown;
}

/**
 * An upstream answered with a status the caller did not expect. Catch it to translate the upstream's
 * answer into your own error (`if (isUpstreamHttpError(e, 404)) throw users.NOT_FOUND()`); left alone it
 * reaches the edge as `UPSTREAM.HTTP_ERROR`, kind `unavailable` for 5xx and 429, else `internal`
 * (a 4xx nobody mapped is a bug in the caller).
 */
export class UpstreamHttpError extends DomainError {
  /** The upstream's name. */
  readonly upstream: string;
  /** HTTP status the upstream answered. */
  readonly status: number;
  readonly method: string;
  readonly route: string;
  /** The upstream's problem details, when its body was problem+json. */
  readonly problem: UpstreamProblem | undefined;
  /** The parsed response body. Not shown to clients by the edge. */
  readonly body: unknown;

  constructor(init: UpstreamHttpErrorInit) {
    const definition = serviceClientErrors.HTTP_ERROR.definition;
    const kind: ErrorKind = init.status >= 500 || init.status === 429 ? 'unavailable' : 'internal';
    const problem = parseProblem(init.body);
    const retryAfter = upstreamRetryAfterSeconds(init.status, problem);
    super(
      { ...definition, kind },
      {
        detail: `${init.upstream} answered ${init.status} to ${init.method} ${init.route}`,
        // The edge's 503 then asks the client to wait as long as the upstream asked (Retry-After).
        ...(retryAfter === undefined ? {} : { data: { retry_after_seconds: retryAfter } }),
      },
    );
    this.upstream = init.upstream;
    this.status = init.status;
    this.method = init.method;
    this.route = init.route;
    this.body = init.body;
    this.problem = problem;
  }

  /** The upstream's own error code (from its problem details), e.g. `USER.NOT_FOUND`. */
  get upstreamCode(): string | undefined {
    return this.problem?.code;
  }
}

/** True when `error` is an {@link UpstreamHttpError}, optionally with the given status. */
export function isUpstreamHttpError(error: unknown, status?: number): error is UpstreamHttpError {
  return error instanceof UpstreamHttpError && (status === undefined || error.status === status);
}
