import { createServiceRuntime, readPackageVersion, type ServiceRuntime } from '@flotilla/platform';
import type { WorkerConfig } from './config.js';

/** Everything worker needs, built once by {@link createDeps}: the composition root. */
export interface WorkerDeps {
  config: WorkerConfig;
  runtime: ServiceRuntime;
  /** Closed in this order after the HTTP server has drained. */
  closers: Array<{ name: string; close: () => Promise<void> | void }>;
}

/** Wires worker's dependencies from its configuration. */
export function createDeps(
  config: WorkerConfig,
  options: { logDestination?: NodeJS.WritableStream } = {},
): WorkerDeps {
  const runtime = createServiceRuntime({
    service: 'worker',
    version: readPackageVersion(import.meta.url),
    logLevel: config.logLevel,
    logPretty: config.logPretty,
    ...options,
  });
  return { config, runtime, closers: [] };
}
