import { boot, type Shutdown, startHttpService } from '@flotilla/platform';
import { buildApp } from './app.js';
import { loadWorkerConfig } from './config.js';
import { createDeps } from './deps.js';

boot(async () => {
  const config = loadWorkerConfig();
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
  // Liveness answers while connecting; readiness only once the broker and the data services answer.
  try {
    await deps.start();
  } catch (error) {
    // A SIGTERM while connecting closes what start() waits for: the shutdown then decides the exit code.
    if (shutdown?.started) return;
    throw error;
  }
});
