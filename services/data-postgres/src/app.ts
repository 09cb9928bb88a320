import { ProblemSchema } from '@flotilla/contracts';
import { createHttpApp, type HttpApp, installServiceAuth } from '@flotilla/platform';
import type { DataPostgresDeps } from './deps.js';
import { registerDocumentRoutes } from './modules/documents/documents.routes.js';
import { registerMediaJobRoutes } from './modules/media-jobs/media-jobs.routes.js';
import { registerRefreshTokenRoutes } from './modules/refresh-tokens/refresh-tokens.routes.js';
import { registerUserRoutes } from './modules/users/users.routes.js';

/** Builds data-postgres's HTTP app. It never listens: `main.ts` does, tests use `inject()`. */
export async function buildApp(deps: DataPostgresDeps): Promise<HttpApp> {
  const { runtime, config, repositories, outbox } = deps;
  const app = await createHttpApp({
    service: runtime.service,
    version: runtime.version,
    logger: runtime.logger,
    metrics: runtime.metrics,
    health: runtime.health,
    bodyLimit: config.bodyLimitBytes,
    openapi: {
      title: 'Flotilla data-postgres',
      description:
        'Owns PostgreSQL: users, refresh tokens, media jobs and documents. Reached only by business services, with a service token.',
      securitySchemes: {
        serviceToken: {
          type: 'http',
          scheme: 'bearer',
          description: "The calling service's token (its entry in SERVICE_TOKENS).",
        },
      },
      contract: { problemSchema: ProblemSchema, commonResponses: { withSecurity: [401, 403] } },
    },
  });
  installServiceAuth(app, { tokens: config.serviceTokens, registry: runtime.metrics.registry });
  registerUserRoutes(app, repositories.users, outbox.writer);
  registerRefreshTokenRoutes(app, repositories.refreshTokens);
  registerMediaJobRoutes(app, repositories.mediaJobs, outbox.writer);
  registerDocumentRoutes(app, repositories.documents, outbox.writer);
  return app;
}
