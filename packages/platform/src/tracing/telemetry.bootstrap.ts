/**
 * The telemetry bootstrap, loaded before any application code:
 *   node --import @flotilla/platform/telemetry dist/main.js
 *   node --import tsx --import @flotilla/platform/telemetry src/main.ts   (development, tests)
 *
 * It reads the telemetry variables (`TRACING_OTLP_URL`, `TRACING_SAMPLE_RATIO`, `SENTRY_DSN`, ...).
 * With neither an OTLP URL nor a Sentry DSN it loads nothing else: the OpenTelemetry API stays a
 * no-op and tracing costs nothing. Otherwise it installs the OpenTelemetry Node SDK (and Sentry on
 * the same tracer provider) before the service imports the libraries it instruments. An invalid
 * variable is left for the service's own config module to report, with every other problem.
 */
import { Type } from 'typebox';
import { commonEnv } from '../config/common.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { telemetryEnv, toTelemetryConfig } from '../config/telemetry-env.js';
import { identifyService } from './service-identity.js';

function readSettings() {
  try {
    const schema = Type.Object({ NODE_ENV: commonEnv(0).NODE_ENV, ...telemetryEnv() });
    const env = loadConfig(schema, { service: 'telemetry' });
    return { ...toTelemetryConfig(env), environment: env.NODE_ENV };
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

const settings = readSettings();
if (settings && (settings.otlpUrl !== undefined || settings.sentryDsn !== undefined)) {
  const identity = identifyService(process.argv[1], settings.instanceId);
  const { startTelemetry } = await import('./telemetry-sdk.js');
  await startTelemetry(settings, identity, settings.environment);
}
