import { boot, startHttpService } from '@flotilla/platform';
import { buildApp } from './app.js';
import { loadDataMongoConfig } from './config.js';
import { createDeps } from './deps.js';

boot(async () => {
  const config = loadDataMongoConfig();
  const deps = await createDeps(config);
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
