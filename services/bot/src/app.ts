import { createHttpApp, type HttpApp } from '@flotilla/platform';
import type { BotDeps } from './deps.js';

/** Builds bot's HTTP app. It never listens: `main.ts` does, tests use `inject()`. */
export async function buildApp(deps: BotDeps): Promise<HttpApp> {
  const { runtime, config } = deps;
  return createHttpApp({
    service: runtime.service,
    version: runtime.version,
    logger: runtime.logger,
    metrics: runtime.metrics,
    health: runtime.health,
    bodyLimit: config.bodyLimitBytes,
    openapi: { title: 'Flotilla bot', description: 'The Telegram bot: commands, uploads and notifications.' },
  });
}
