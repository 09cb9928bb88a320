import { boot, type Shutdown, startHttpService } from '@flotilla/platform';
import { buildApp } from './app.js';
import { loadBotConfig } from './config.js';
import { createDeps } from './deps.js';

boot(async () => {
  const config = loadBotConfig();
  let shutdown: Shutdown | undefined;
  const deps = createDeps(config, {
    onFatal(error) {
      deps.runtime.logger.fatal({ err: error }, 'RabbitMQ unreachable: shutting down');
      const done = shutdown ? shutdown.run('rabbitmq unreachable') : Promise.resolve();
      void done.finally(() => process.exit(1));
    },
  });
  const app = await buildApp(deps);
  ({ shutdown } = await startHttpService({
    app,
    logger: deps.runtime.logger,
    health: deps.runtime.health,
    host: config.host,
    port: config.port,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    connectionDrainMs: config.shutdownDrainMs,
    closers: deps.closers,
  }));
  // Liveness answers while connecting; readiness once the broker and the data services answer.
  try {
    await deps.start();
  } catch (error) {
    if (shutdown?.started) return;
    throw error;
  }
});
