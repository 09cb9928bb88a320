import { createServiceRuntime, readPackageVersion, type ServiceRuntime } from '@flotilla/platform';
import type { ApiConfig } from './config.js';

/** Everything api needs, built once by {@link createDeps}: the composition root. */
export interface ApiDeps {
  config: ApiConfig;
  runtime: ServiceRuntime;
  /** Closed in this order after the HTTP server has drained. */
  closers: Array<{ name: string; close: () => Promise<void> | void }>;
}

/** Wires api's dependencies from its configuration. */
export function createDeps(
  config: ApiConfig,
  options: { logDestination?: NodeJS.WritableStream } = {},
): ApiDeps {
  const runtime = createServiceRuntime({
    service: 'api',
    version: readPackageVersion(import.meta.url),
    logLevel: config.logLevel,
    logPretty: config.logPretty,
    ...options,
  });
  return { config, runtime, closers: [] };
}
