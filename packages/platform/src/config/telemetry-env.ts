import type { Static, TObject } from 'typebox';
import { Type } from 'typebox';

/**
 * Variables of the telemetry bootstrap (`node --import @flotilla/platform/telemetry`): where traces
 * go, how many are kept, and where errors are reported. Part of {@link commonEnv}, so every service
 * accepts them and the configuration reference lists them; the bootstrap reads them before the
 * service's own config module runs.
 */
export function telemetryEnv() {
  return {
    TRACING_OTLP_URL: Type.Optional(
      Type.String({
        pattern: '^https?://[^\\s]+$',
        description:
          'Base URL of an OTLP/HTTP trace receiver (Jaeger: `http://127.0.0.1:4318`); spans go to `<url>/v1/traces`. Unset: no tracing SDK is loaded.',
      }),
    ),
    TRACING_SAMPLE_RATIO: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 1,
      description:
        'Share of new traces recorded (0-1); a request that arrives with a sampled parent is always recorded (parent-based).',
    }),
    SERVICE_INSTANCE_ID: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: 'Instance id on traces and errors; unset: `<hostname>-<pid>`.',
      }),
    ),
    SENTRY_DSN: Type.Optional(
      Type.String({
        pattern: '^https?://[^\\s]+$',
        description:
          'Sentry DSN: unhandled errors are reported there (personal data scrubbed). Unset: no Sentry.',
      }),
    ),
  };
}

/** The telemetry settings of a process. */
export interface TelemetryConfig {
  /** OTLP/HTTP base URL; tracing is off when undefined. */
  otlpUrl: string | undefined;
  sampleRatio: number;
  instanceId: string | undefined;
  sentryDsn: string | undefined;
}

/** Maps the parsed telemetry variables to {@link TelemetryConfig}. */
export function toTelemetryConfig(env: Static<TObject<ReturnType<typeof telemetryEnv>>>): TelemetryConfig {
  return {
    otlpUrl: env.TRACING_OTLP_URL?.replace(/\/+$/, ''),
    sampleRatio: env.TRACING_SAMPLE_RATIO,
    instanceId: env.SERVICE_INSTANCE_ID,
    sentryDsn: env.SENTRY_DSN,
  };
}
