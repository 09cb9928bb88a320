import { createServiceRuntime, readPackageVersion, type ServiceRuntime } from '@flotilla/platform';
import type { DataPostgresConfig } from './config.js';
import { createDatabase, type Database } from './db/database.js';
import { DocumentsRepository } from './modules/documents/documents.repository.js';
import { MediaJobsRepository } from './modules/media-jobs/media-jobs.repository.js';
import { createOutboxModule, type OutboxModule } from './modules/outbox/outbox.module.js';
import { RefreshTokensRepository } from './modules/refresh-tokens/refresh-tokens.repository.js';
import { UsersRepository } from './modules/users/users.repository.js';

/** Everything data-postgres needs, built once by {@link createDeps}: the composition root. */
export interface DataPostgresDeps {
  config: DataPostgresConfig;
  runtime: ServiceRuntime;
  database: Database;
  repositories: {
    users: UsersRepository;
    refreshTokens: RefreshTokensRepository;
    mediaJobs: MediaJobsRepository;
    documents: DocumentsRepository;
  };
  /** Events stored with the writes they report, and the relay that publishes them. */
  outbox: OutboxModule;
  /** Closed in this order after the HTTP server has drained. */
  closers: Array<{ name: string; close: () => Promise<void> | void }>;
}

/**
 * Wires data-postgres's dependencies from its configuration. Nothing connects here: the pool opens its
 * first connection on the first query, so the service starts (and reports not ready) while the database
 * is down.
 */
export function createDeps(
  config: DataPostgresConfig,
  options: { logDestination?: NodeJS.WritableStream } = {},
): DataPostgresDeps {
  const runtime = createServiceRuntime({
    service: 'data-postgres',
    version: readPackageVersion(import.meta.url),
    logLevel: config.logLevel,
    logPretty: config.logPretty,
    ...options,
  });
  const database = createDatabase(config.postgres, {
    logger: runtime.logger,
    registry: runtime.metrics.registry,
  });
  runtime.health.addCheck('postgres', () => database.ping());
  const { db } = database;
  const outbox = createOutboxModule(config, runtime, db);
  return {
    config,
    runtime,
    database,
    repositories: {
      users: new UsersRepository(db),
      refreshTokens: new RefreshTokensRepository(db),
      mediaJobs: new MediaJobsRepository(db),
      documents: new DocumentsRepository(db),
    },
    outbox,
    closers: [
      { name: 'outbox', close: () => outbox.close() },
      { name: 'postgres', close: () => database.close() },
    ],
  };
}
