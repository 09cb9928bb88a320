import { createHttpApp, type HttpApp } from '@flotilla/platform';
import type { DataMongoDeps } from './deps.js';

/** Builds data-mongo's HTTP app. It never listens: `main.ts` does, tests use `inject()`. */
export async function buildApp(deps: DataMongoDeps): Promise<HttpApp> {
  const { runtime, config } = deps;
  return createHttpApp({
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
    },
  });
}
