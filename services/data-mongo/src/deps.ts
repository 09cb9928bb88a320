import { createServiceRuntime, readPackageVersion, type ServiceRuntime } from '@flotilla/platform';
import type { DataMongoConfig } from './config.js';

/** Everything data-mongo needs, built once by {@link createDeps}: the composition root. */
export interface DataMongoDeps {
  config: DataMongoConfig;
  runtime: ServiceRuntime;
  /** Closed in this order after the HTTP server has drained. */
  closers: Array<{ name: string; close: () => Promise<void> | void }>;
}

/** Wires data-mongo's dependencies from its configuration. */
export function createDeps(
  config: DataMongoConfig,
  options: { logDestination?: NodeJS.WritableStream } = {},
): DataMongoDeps {
  const runtime = createServiceRuntime({
    service: 'data-mongo',
    version: readPackageVersion(import.meta.url),
    logLevel: config.logLevel,
    logPretty: config.logPretty,
    ...options,
  });
  return { config, runtime, closers: [] };
}
