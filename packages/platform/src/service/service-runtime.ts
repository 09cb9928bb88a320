import { readFileSync } from 'node:fs';
import { createHealth, type Health } from '../health/health.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { createMetrics, type ServiceMetrics } from '../metrics/registry.js';

/** The observability trio every service is built on. */
export interface ServiceRuntime {
  service: string;
  version: string;
  logger: Logger;
  metrics: ServiceMetrics;
  health: Health;
}

/** Options of {@link createServiceRuntime}. */
export interface ServiceRuntimeOptions {
  service: string;
  version: string;
  logLevel: string;
  logPretty: boolean;
  /** Where log lines go; stdout by default. */
  logDestination?: NodeJS.WritableStream;
}

/** Creates the logger, metric registry and readiness registry of a service, in one call. */
export function createServiceRuntime(options: ServiceRuntimeOptions): ServiceRuntime {
  const logger = createLogger({
    service: options.service,
    version: options.version,
    level: options.logLevel,
    pretty: options.logPretty,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  return {
    service: options.service,
    version: options.version,
    logger,
    metrics: createMetrics({ service: options.service, version: options.version }),
    health: createHealth(),
  };
}

/**
 * Reads the `version` of the package.json one level above the calling module's folder, which is the
 * service's own package.json whether the module runs from `src/` or `dist/`.
 */
export function readPackageVersion(moduleUrl: string): string {
  const raw = readFileSync(new URL('../package.json', moduleUrl), 'utf8');
  const { version } = JSON.parse(raw) as { version?: string };
  return version ?? '0.0.0';
}
