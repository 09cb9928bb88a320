import type { HttpApp } from '@flotilla/platform';
import { buildApp } from '../../src/app.js';
import { loadApiConfig } from '../../src/config.js';
import { type ApiDeps, createDeps } from '../../src/deps.js';
import { testSigningKey } from './api-harness.js';

/**
 * The api app built but never started (no data service, no broker connection): enough for what needs no
 * dependency (the OpenAPI document, CORS, body limits, validation). Call `close()` after.
 */
export async function buildUnstartedApp(
  env: Record<string, string> = {},
): Promise<{ app: HttpApp; deps: ApiDeps; close: () => Promise<void> }> {
  const config = loadApiConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_SERVICE_TOKEN: testSigningKey(),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    RABBITMQ_URL: process.env.RABBITMQ_URL ?? 'amqp://127.0.0.1:5672',
    JWT_SIGNING_KEY: testSigningKey(),
    ...env,
  });
  const deps = createDeps(config, { onFatal: () => undefined });
  const app = await buildApp(deps);
  await app.ready();
  return {
    app,
    deps,
    async close() {
      await app.close();
      for (const closer of deps.closers) await closer.close();
    },
  };
}
