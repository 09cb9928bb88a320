import cors from '@fastify/cors';
import { ProblemSchema } from '@flotilla/contracts';
import { createHttpApp, type HttpApp } from '@flotilla/platform';
import type { ApiDeps } from './deps.js';
import { installAuth } from './http/auth.js';
import { installIdempotency } from './http/idempotency.js';
import { registerDeadLetterRoutes } from './modules/admin/dead-letters.routes.js';
import { registerAdminUserRoutes } from './modules/identity/adapters/admin-users.routes.js';
import { registerAuthRoutes } from './modules/identity/adapters/auth.routes.js';
import { registerUserRoutes } from './modules/identity/adapters/users.routes.js';
import { registerKnowledge } from './modules/knowledge/adapters/knowledge.plugin.js';
import { registerMedia } from './modules/media/adapters/media.plugin.js';
import { registerStatsRoutes } from './modules/stats/adapters/stats.routes.js';

/** Prefix of every public route. */
export const API_PREFIX = '/api/v1';

/** Builds api's HTTP app. It never listens: `main.ts` does, tests use `inject()`. */
export async function buildApp(deps: ApiDeps): Promise<HttpApp> {
  const { runtime, config, identity } = deps;
  const app = await createHttpApp({
    service: runtime.service,
    version: runtime.version,
    logger: runtime.logger,
    metrics: runtime.metrics,
    health: runtime.health,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    openapi: {
      title: 'Flotilla api',
      description: 'The public HTTP API: identity, media, knowledge and stats.',
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Access token from `POST /api/v1/auth/login` or `/auth/refresh`.',
        },
      },
      contract: {
        problemSchema: ProblemSchema,
        // The gateway in front: its auth rate limit (429), and its own answers when the api is down or slow.
        commonResponses: { every: [422, 502, 503, 504], byPathPrefix: { [`${API_PREFIX}/auth/`]: [429] } },
      },
    },
  });
  // Strict CORS: only the configured origins (none by default), no credentials by cookie.
  await app.register(cors, {
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id'],
    exposedHeaders: ['x-request-id', 'retry-after', 'location', 'idempotent-replayed'],
    maxAge: 600,
  });
  // Both must be installed before any route: they hook into route registration and the request.
  installAuth(app, identity.useCases.authenticate);
  installIdempotency(app, {
    redis: deps.redis.client,
    logger: runtime.logger,
    ttlSeconds: config.idempotencyTtlSeconds,
    pendingTtlSeconds: config.idempotencyPendingTtlSeconds,
  });

  await app.register(
    async (v1: HttpApp) => {
      registerAuthRoutes(v1, identity, config);
      registerUserRoutes(v1, identity, config);
      registerAdminUserRoutes(v1, identity);
      registerDeadLetterRoutes(v1, deps.messaging, deps.queuePrefix);
      await registerMedia(v1, deps.media);
      await registerKnowledge(v1, deps.knowledge);
      registerStatsRoutes(v1, deps.stats);
      // Other modules register here, each with one line:
      // registerMediaRoutes(v1, deps); registerKnowledgeRoutes(v1, deps); registerStatsRoutes(v1, deps);
    },
    { prefix: API_PREFIX },
  );
  return app;
}
