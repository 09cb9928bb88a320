import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { REQUEST_ID_HEADER, resolveRequestId, runWithContext } from '../context/request-context.js';
import { platformErrors } from '../errors/platform-errors.js';
import type { Health } from '../health/health.js';
import type { Logger } from '../logging/logger.js';
import type { ServiceMetrics } from '../metrics/registry.js';
import { abortServerSpan, endServerSpan, runInServerSpan } from '../tracing/server-span.js';
import { createValidatorFactory } from './body-validation.js';
import { installErrorHandling, sendProblem, toProblem } from './error-handler.js';
import { lazySchemaCompilers } from './lazy-schema-compilers.js';
import { type CommonResponses, exactOpenApiDocument } from './openapi-contract.js';
import { registerOperationalRoutes } from './operational-routes.js';
import { rejectUnstorableText } from './text-guard.js';
import type { HttpApp } from './types.js';

export type { HttpApp } from './types.js';

/** Options of {@link createHttpApp}. */
export interface CreateHttpAppOptions {
  service: string;
  version: string;
  logger: Logger;
  metrics: ServiceMetrics;
  health: Health;
  /** Maximum request body size in bytes (larger bodies get a 413). */
  bodyLimit: number;
  /** OpenAPI document info; when set, the spec is served at `/docs/json` and Swagger UI at `/docs`. */
  openapi?: {
    title: string;
    description?: string;
    securitySchemes?: Record<string, unknown>;
    /**
     * When set, the document is made exact ({@link exactOpenApiDocument}): errors as problem+json with
     * this schema, and the statuses of the shared hooks on every operation.
     */
    contract?: { problemSchema: unknown; commonResponses?: CommonResponses };
  };
  /** Trust `X-Forwarded-*` from a proxy in front (the gateway). */
  trustProxy?: boolean | string;
  /** How long keep-alive sockets may stay idle, in ms. */
  keepAliveTimeoutMs?: number;
}

/**
 * Builds the Fastify app every service starts from: request ids in AsyncLocalStorage, problem+json
 * errors (RFC 9457) with field paths, a 404 handler, body limits, strict validation (unknown fields
 * rejected, every error reported, no NUL character in any text), `/health/live`, `/health/ready`, `/metrics` with HTTP RED metrics
 * by route template, and optionally OpenAPI at `/docs`. It never listens: `main.ts` does.
 */
export async function createHttpApp(options: CreateHttpAppOptions): Promise<HttpApp> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustProxy ?? false,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 72_000,
    requestIdHeader: false,
    genReqId: (request) => resolveRequestId(request.headers[REQUEST_ID_HEADER]),
    // Request logs are written once per request by the onResponse hook below, with the route template.
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    // No per-request child logger: the logger's mixin already adds request_id from the request context.
    childLoggerFactory: (logger) => logger,
    // Requests that still arrive once close() has begun are answered by the onRequest hook below
    // (problem+json), not with Fastify's own JSON body.
    return503OnClosing: false,
    // Errors of the router itself (a path parameter longer than 100 characters, a URL that cannot be
    // decoded) get the same problem+json answer as every other error instead of Fastify's own JSON.
    frameworkErrors: (error, request, reply) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      sendProblem(reply, toProblem(error, request));
    },
    forceCloseConnections: 'idle',
    ajv: {
      customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true },
    },
    // Bodies are validated without type coercion (see createValidatorFactory); each route's validators
    // and serializers are compiled on its first use, not before listening.
    schemaController: { compilersFactory: lazySchemaCompilers(createValidatorFactory()) },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Set once close() begins (after the connection drain): a request that still arrives on an open
  // connection then gets a 503 problem and a closed connection, and never reaches a handler.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (closing) {
      reply.header('connection', 'close');
      sendProblem(reply, toProblem(platformErrors.SHUTTING_DOWN(), request));
      return;
    }
    runWithContext({ requestId: request.id }, () => runInServerSpan(request, done));
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    // While draining, tell clients not to reuse the connection.
    if (options.health.isShuttingDown()) reply.header('connection', 'close');
    return payload;
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    const seconds = reply.elapsedTime / 1000;
    options.metrics.httpRequestDuration.observe(labels, seconds);
    options.metrics.httpRequestsTotal.inc(labels);
    if (!route.startsWith('/health') && route !== '/metrics') {
      request.log.info(
        {
          method: request.method,
          route,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        'request completed',
      );
    }
    endServerSpan(request, reply);
    done();
  });

  app.addHook('onRequestAbort', (request, done) => {
    abortServerSpan(request);
    done();
  });

  installErrorHandling(app);
  rejectUnstorableText(app);

  if (options.openapi) {
    const { contract } = options.openapi;
    await app.register(swagger, {
      ...(contract && {
        transformObject: (document) =>
          'openapiObject' in document
            ? exactOpenApiDocument(
                document.openapiObject,
                contract.commonResponses ?? {},
                contract.problemSchema,
              )
            : document.swaggerObject,
      }),
      openapi: {
        openapi: '3.1.0',
        info: {
          title: options.openapi.title,
          version: options.version,
          description: options.openapi.description,
        },
        components: { securitySchemes: (options.openapi.securitySchemes ?? {}) as never },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }

  registerOperationalRoutes(app, options);
  return app;
}
