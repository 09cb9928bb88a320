import { createServiceRuntime, readPackageVersion, type ServiceRuntime } from '@flotilla/platform';
import type { DataPostgresConfig } from './config.js';

/** Everything data-postgres needs, built once by {@link createDeps}: the composition root. */
export interface DataPostgresDeps {
  config: DataPostgresConfig;
  runtime: ServiceRuntime;
  /** Closed in this order after the HTTP server has drained. */
  closers: Array<{ name: string; close: () => Promise<void> | void }>;
}

/** Wires data-postgres's dependencies from its configuration. */
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
  return { config, runtime, closers: [] };
}
