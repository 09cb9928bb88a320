import { createHttpApp, type HttpApp } from '@flotilla/platform';
import type { ApiDeps } from './deps.js';

/** Builds api's HTTP app. It never listens: `main.ts` does, tests use `inject()`. */
export async function buildApp(deps: ApiDeps): Promise<HttpApp> {
  const { runtime, config } = deps;
  return createHttpApp({
    service: runtime.service,
    version: runtime.version,
    logger: runtime.logger,
    metrics: runtime.metrics,
    health: runtime.health,
    bodyLimit: config.bodyLimitBytes,
    openapi: {
      title: 'Flotilla api',
      description: 'The public HTTP API: identity, media, knowledge and stats.',
    },
  });
}
