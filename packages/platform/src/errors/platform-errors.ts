import { defineErrors } from './domain-error.js';

/** Errors raised by the platform itself, shared by every service. */
export const platformErrors = defineErrors({
  VALIDATION: { code: 'REQUEST.VALIDATION', kind: 'invalid', title: 'The request is not valid' },
  MALFORMED_BODY: {
    code: 'REQUEST.MALFORMED_BODY',
    kind: 'bad_request',
    title: 'The request body could not be parsed',
  },
  BODY_TOO_LARGE: {
    code: 'REQUEST.BODY_TOO_LARGE',
    kind: 'too_large',
    title: 'The request body is too large',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
    kind: 'unsupported',
    title: 'The content type is not supported',
  },
  BAD_REQUEST: { code: 'REQUEST.BAD_REQUEST', kind: 'bad_request', title: 'The request is not acceptable' },
  ROUTE_NOT_FOUND: { code: 'ROUTE.NOT_FOUND', kind: 'not_found', title: 'No such route' },
  UNAUTHENTICATED: {
    code: 'AUTH.UNAUTHENTICATED',
    kind: 'unauthenticated',
    title: 'Authentication required',
  },
  FORBIDDEN: { code: 'AUTH.FORBIDDEN', kind: 'forbidden', title: 'Not allowed' },
  RATE_LIMITED: { code: 'REQUEST.RATE_LIMITED', kind: 'rate_limited', title: 'Too many requests' },
  SHUTTING_DOWN: {
    code: 'SERVICE.SHUTTING_DOWN',
    kind: 'unavailable',
    title: 'The service is shutting down',
  },
  UPSTREAM_UNAVAILABLE: {
    code: 'UPSTREAM.UNAVAILABLE',
    kind: 'unavailable',
    title: 'A service this request depends on is unavailable',
  },
  UPSTREAM_TIMEOUT: {
    code: 'UPSTREAM.TIMEOUT',
    kind: 'unavailable',
    title: 'A service this request depends on timed out',
  },
  INTERNAL: { code: 'INTERNAL', kind: 'internal', title: 'Internal error' },
});
