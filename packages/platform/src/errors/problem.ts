import type { ErrorKind } from './domain-error.js';

/** One field-level validation problem: a JSON pointer into the request and what is wrong there. */
export interface FieldError {
  /** Where: `/body/email`, `/query/limit`, `/params/id`. */
  field: string;
  message: string;
}

/**
 * RFC 9457 problem details as Flotilla serves them (`application/problem+json`).
 * `code` is the stable machine-readable error code; `request_id` ties the reply to the logs.
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  request_id?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Media type of problem details bodies. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** HTTP status for each error kind: the single HTTP mapping of domain errors. */
export const HTTP_STATUS_BY_KIND: Record<ErrorKind, number> = {
  bad_request: 400,
  invalid: 422,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  too_large: 413,
  unsupported: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** The problem `type` URI for an error code: `urn:flotilla:problem:media.too-large`. */
export function problemType(code: string): string {
  return `urn:flotilla:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}
