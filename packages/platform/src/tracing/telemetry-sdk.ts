import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TelemetryConfig } from '../config/telemetry-env.js';
import { enableServerSpans } from './server-span.js';
import type { ServiceIdentity } from './service-identity.js';
import { createUrlCredentialsRedactor } from './url-credentials.span-processor.js';

/**
 * Starts the OpenTelemetry Node SDK for one service process: its resource (service name, version,
 * instance, environment), a parent-based ratio sampler, OTLP/HTTP export in batches, and the
 * instrumentations of the libraries Flotilla uses (HTTP client, undici, pg, MongoDB, ioredis,
 * amqplib), and the HTTP server spans of the platform's HTTP app. With a Sentry DSN, Sentry's span processor joins the same provider; with only a
 * DSN the SDK still runs (no OTLP exporter), so error reports and Sentry transactions carry the trace
 * id of the request.
 */
export async function startTelemetry(
  settings: TelemetryConfig,
  identity: ServiceIdentity,
  environment: string,
): Promise<void> {
  // Without an OTLP URL (Sentry only) spans are still made, for the trace ids, but not exported.
  // The redactor runs first: secrets in URL paths (the bot's token) never reach an exporter.
  const spanProcessors: SpanProcessor[] = [createUrlCredentialsRedactor()];
  if (settings.otlpUrl === undefined) spanProcessors.push(new NoopSpanProcessor());
  else
    spanProcessors.push(
      // One export is in flight at a time: at a few thousand requests per second (two spans each)
      // the default queue of 2048 spans overflowed and spans were dropped.
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${settings.otlpUrl}/v1/traces` }), {
        scheduledDelayMillis: 1000,
        maxExportBatchSize: 1024,
        maxQueueSize: 8192,
      }),
    );

  if (settings.sentryDsn !== undefined) {
    const { startSentry } = await import('../errors/sentry.js');
    spanProcessors.push(startSentry(settings.sentryDsn, identity, environment, settings.sampleRatio));
  }

  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: identity.service,
      [ATTR_SERVICE_VERSION]: identity.version,
      'service.namespace': 'flotilla',
      'service.instance.id': identity.instanceId,
      'deployment.environment.name': environment,
    }),
    autoDetectResources: false,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors,
    // Metrics stay with prom-client (/metrics) and logs with pino (stdout): the SDK exports traces only.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      // Server spans come from the HTTP app's own hooks (./server-span.ts: a fraction of this
      // instrumentation's per-request cost); it still traces outgoing calls made with node:http.
      // Calls made with undici or fetch are traced by the undici instrumentation.
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
      new UndiciInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
      new MongoDBInstrumentation({
        requireParentSpan: true,
        // The command's shape only: never the values (file chunks, personal data), and nothing big to encode.
        dbStatementSerializer: (command) => JSON.stringify(Object.keys(command)),
      }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new AmqplibInstrumentation(),
    ],
  });
  sdk.start();
  enableServerSpans();
}
