import { createHttpApp, type HttpApp } from '@flotilla/platform';
import type { BotDeps } from './deps.js';
import { registerWebhookRoute } from './telegram/webhook.routes.js';

/**
 * Builds bot's HTTP app: health, metrics and, in webhook mode, `POST /telegram/webhook`. It never
 * listens: `main.ts` does, tests use `inject()`.
 */
export async function buildApp(deps: BotDeps): Promise<HttpApp> {
  const { runtime, config } = deps;
  const app = await createHttpApp({
    service: runtime.service,
    version: runtime.version,
    logger: runtime.logger,
    metrics: runtime.metrics,
    health: runtime.health,
    bodyLimit: config.bodyLimitBytes,
    openapi: { title: 'Flotilla bot', description: 'The Telegram bot: commands, uploads and notifications.' },
  });
  if (config.mode === 'webhook' && config.webhookSecret) {
    const webhook = registerWebhookRoute(app, {
      bot: deps.bot,
      secret: config.webhookSecret,
      logger: runtime.logger,
    });
    // After the HTTP server stopped taking updates, the ones in hand finish before the rest closes.
    deps.closers.unshift({ name: 'webhook updates', close: () => webhook.drain() });
  }
  return app;
}
