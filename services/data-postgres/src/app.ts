import { createHttpApp, type HttpApp } from '@flotilla/platform';
import type { DataPostgresDeps } from './deps.js';

/** Builds data-postgres's HTTP app. It never listens: `main.ts` does, tests use `inject()`. */
export async function buildApp(deps: DataPostgresDeps): Promise<HttpApp> {
  const { runtime, config } = deps;
  return createHttpApp({
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
    },
  });
}
