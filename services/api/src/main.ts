import { boot, startHttpService } from '@flotilla/platform';
import { buildApp } from './app.js';
import { loadApiConfig } from './config.js';
import { createDeps } from './deps.js';

boot(async () => {
  const config = loadApiConfig();
  const deps = createDeps(config);
  await deps.start();
  const app = await buildApp(deps);
  await startHttpService({
    app,
    logger: deps.runtime.logger,
    health: deps.runtime.health,
    host: config.host,
    port: config.port,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    connectionDrainMs: config.shutdownDrainMs,
    closers: deps.closers,
  });
});
