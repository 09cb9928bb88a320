import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getContext, getRequestId } from '../context/request-context.js';
import { DomainError } from '../errors/domain-error.js';
import { reportError } from '../errors/error-reporting.js';
import { platformErrors } from '../errors/platform-errors.js';
import {
  type FieldError,
  HTTP_STATUS_BY_KIND,
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
  problemType,
} from '../errors/problem.js';

interface AjvLikeError {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

const CONTEXT_PREFIX: Record<string, string> = {
  body: '/body',
  querystring: '/query',
  params: '/params',
  headers: '/headers',
};

/** Turns Fastify/AJV validation errors into field errors with JSON-pointer paths. */
export function toFieldErrors(
  validation: readonly AjvLikeError[],
  context: string | undefined,
): FieldError[] {
  const prefix = CONTEXT_PREFIX[context ?? 'body'] ?? `/${context}`;
  return validation.map((error) => {
    let field = `${prefix}${error.instancePath ?? ''}`;
    const params = error.params ?? {};
    if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
      field = `${field}/${params.missingProperty}`;
      return { field, message: 'is required' };
    }
    if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      field = `${field}/${params.additionalProperty}`;
      return { field, message: 'is not an allowed property' };
    }
    return { field, message: error.message ?? 'is invalid' };
  });
}

function problem(
  request: FastifyRequest,
  status: number,
  code: string,
  title: string,
  extra: Partial<ProblemDetails> = {},
): ProblemDetails {
  // Extension members first: an error's data can never overwrite the reserved members.
  const body: ProblemDetails = {
    ...extra,
    type: problemType(code),
    title,
    status,
    code,
    instance: request.url.split('?')[0] ?? request.url,
  };
  const requestId = getRequestId() ?? request.id;
  if (requestId) body.request_id = String(requestId);
  return body;
}

/** Maps any error thrown in a route to a problem+json reply. Unknown errors become a bare 500. */
export function toProblem(error: unknown, request: FastifyRequest): ProblemDetails {
  if (error instanceof DomainError) {
    const status = HTTP_STATUS_BY_KIND[error.kind];
    const extra: Partial<ProblemDetails> = { ...(error.data ?? {}) };
    if (error.detail) extra.detail = error.detail;
    return problem(request, status, error.code, error.title, extra);
  }
  const fastifyError = error as Partial<FastifyError> & { validation?: AjvLikeError[] };
  if (Array.isArray(fastifyError.validation)) {
    const { code, title } = platformErrors.VALIDATION.definition;
    const errors = toFieldErrors(fastifyError.validation, fastifyError.validationContext);
    return problem(request, 422, code, title, {
      detail: errors.map((e) => `${e.field} ${e.message}`).join('; '),
      errors,
    });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(
        request,
        413,
        platformErrors.BODY_TOO_LARGE.definition.code,
        'The request body is too large',
        {
          detail: fastifyError.message,
        },
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(
        request,
        415,
        platformErrors.UNSUPPORTED_MEDIA_TYPE.definition.code,
        platformErrors.UNSUPPORTED_MEDIA_TYPE.definition.title,
        { detail: `Unsupported content type: ${request.headers['content-type'] ?? '(none)'}` },
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem(
        request,
        400,
        platformErrors.MALFORMED_BODY.definition.code,
        'The request body could not be parsed',
        {
          detail: fastifyError.message,
        },
      );
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return problem(
      request,
      400,
      platformErrors.MALFORMED_BODY.definition.code,
      'The request body could not be parsed',
      {
        detail: 'Body is not valid JSON',
      },
    );
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return problem(
      request,
      status,
      platformErrors.BAD_REQUEST.definition.code,
      'The request is not acceptable',
      {
        detail: fastifyError.message,
      },
    );
  }
  if (status === 503) {
    const { code, title } = platformErrors.SHUTTING_DOWN.definition;
    return problem(request, 503, code, title);
  }
  return problem(request, 500, platformErrors.INTERNAL.definition.code, 'Internal error', {
    detail: 'An unexpected error occurred. Quote the request id when reporting it.',
  });
}

/** `Retry-After` of a 503 whose problem names no delay: a short wait, then another try (or replica). */
export const DEFAULT_UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/**
 * Sends a problem+json reply. A 429 or 503 carries `Retry-After`: the problem's `retry_after_seconds`,
 * or for a 503 without one {@link DEFAULT_UNAVAILABLE_RETRY_AFTER_SECONDS}.
 */
export function sendProblem(reply: FastifyReply, body: ProblemDetails): FastifyReply {
  const named = typeof body.retry_after_seconds === 'number' ? body.retry_after_seconds : undefined;
  const retryAfter =
    body.status === 429
      ? named
      : body.status === 503
        ? (named ?? DEFAULT_UNAVAILABLE_RETRY_AFTER_SECONDS)
        : undefined;
  if (retryAfter !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
  return reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/**
 * Installs the problem+json error handler and the 404 handler. Server errors are logged with their
 * stack and reported (Sentry, when configured); clients only ever see the problem body (never a stack trace or an internal message).
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const body = toProblem(error, request);
    if (body.status === 503) {
      // A dependency is down: expected operationally, so not an error-level bug report.
      request.log.warn({ err: error, code: body.code }, 'request failed: unavailable');
    } else if (body.status >= 500) {
      request.log.error({ err: error, code: body.code }, 'request failed');
      reportError(error, {
        requestId: request.id,
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        ...(getContext()?.userId ? { userId: getContext()?.userId } : {}),
      });
    } else {
      request.log.info({ code: body.code, status: body.status }, 'request rejected');
    }
    return sendProblem(reply, body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { code, title } = platformErrors.ROUTE_NOT_FOUND.definition;
    return sendProblem(
      reply,
      problem(request, 404, code, title, {
        detail: `No route for ${request.method} ${request.url.split('?')[0]}`,
      }),
    );
  });
}
