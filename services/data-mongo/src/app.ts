import { ProblemSchema } from '@flotilla/contracts';
import { createHttpApp, type HttpApp, installServiceAuth } from '@flotilla/platform';
import type { DataMongoDeps } from './deps.js';
import { registerAnalyticsRoutes } from './modules/analytics/analytics.routes.js';
import { registerEventRoutes } from './modules/analytics/events.routes.js';
import { registerBlobRoutes } from './modules/blobs/blobs.routes.js';
import { securitySchemes } from './openapi.js';

/** Builds data-mongo's HTTP app. It never listens: `main.ts` does, tests use `inject()`. */
export async function buildApp(deps: DataMongoDeps): Promise<HttpApp> {
  const { runtime, config } = deps;
  const app = await createHttpApp({
    service: runtime.service,
    version: runtime.version,
    logger: runtime.logger,
    metrics: runtime.metrics,
    health: runtime.health,
    bodyLimit: config.bodyLimitBytes,
    openapi: {
      title: 'Flotilla data-mongo',
      description:
        'Owns MongoDB: file blobs in GridFS and analytics events. Reached only by business services, with a service token.',
      securitySchemes,
      contract: { problemSchema: ProblemSchema, commonResponses: { withSecurity: [401, 403] } },
    },
  });
  installServiceAuth(app, { tokens: config.serviceTokens, registry: runtime.metrics.registry });
  registerEventRoutes(app, deps);
  registerAnalyticsRoutes(app, deps);
  await registerBlobRoutes(app, {
    blobs: deps.blobs,
    metrics: deps.metrics,
    maxBytes: config.blobMaxBytes,
    storeWaitMs: config.mongoTimeoutMs,
  });
  return app;
}
