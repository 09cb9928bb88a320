import { boot, startHttpService } from '@flotilla/platform';
import { buildApp } from './app.js';
import { loadDataPostgresConfig } from './config.js';
import { createMigrator } from './db/migrator.js';
import { createDeps } from './deps.js';

boot(async () => {
  const config = loadDataPostgresConfig();
  const deps = createDeps(config);
  if (config.migrateOnStart) {
    const { logger } = deps.runtime;
    await createMigrator({ connectionString: config.postgres.url, log: (line) => logger.info(line) }).up();
  }
  const app = await buildApp(deps);
  deps.outbox.start();
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
