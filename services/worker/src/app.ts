import { createHttpApp, type HttpApp } from '@flotilla/platform';
import type { WorkerDeps } from './deps.js';

/** Builds worker's HTTP app. It never listens: `main.ts` does, tests use `inject()`. */
export async function buildApp(deps: WorkerDeps): Promise<HttpApp> {
  const { runtime, config } = deps;
  return createHttpApp({
    service: runtime.service,
    version: runtime.version,
    logger: runtime.logger,
    metrics: runtime.metrics,
    health: runtime.health,
    bodyLimit: config.bodyLimitBytes,
    openapi: {
      title: 'Flotilla worker',
      description: 'The background worker: event consumers and schedules.',
    },
  });
}
