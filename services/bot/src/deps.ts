import { createServiceRuntime, readPackageVersion, type ServiceRuntime } from '@flotilla/platform';
import type { BotConfig } from './config.js';

/** Everything bot needs, built once by {@link createDeps}: the composition root. */
export interface BotDeps {
  config: BotConfig;
  runtime: ServiceRuntime;
  /** Closed in this order after the HTTP server has drained. */
  closers: Array<{ name: string; close: () => Promise<void> | void }>;
}

/** Wires bot's dependencies from its configuration. */
export function createDeps(
  config: BotConfig,
  options: { logDestination?: NodeJS.WritableStream } = {},
): BotDeps {
  const runtime = createServiceRuntime({
    service: 'bot',
    version: readPackageVersion(import.meta.url),
    logLevel: config.logLevel,
    logPretty: config.logPretty,
    ...options,
  });
  return { config, runtime, closers: [] };
}
