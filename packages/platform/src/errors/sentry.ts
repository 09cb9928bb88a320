import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as Sentry from '@sentry/node';
import { SentrySpanProcessor } from '@sentry/opentelemetry';
import type { ServiceIdentity } from '../tracing/service-identity.js';
import { currentTraceFields } from '../tracing/trace-context.js';
import { setErrorReporter } from './error-reporting.js';

/** Keys whose values never leave the process: credentials, personal data, file contents. */
const SENSITIVE_KEY =
  /pass(word)?|token|secret|authori[sz]ation|cookie|session|e-?mail|phone|api[-_]?key|dsn|file|body|^data$/i;
/** Keys holding URLs: their query strings (which may carry personal data) are dropped. */
const URL_KEY = /url|target/i;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const SCRUBBED = '[scrubbed]';

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.replace(EMAIL, SCRUBBED);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((entry) => scrubValue(entry, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (SENSITIVE_KEY.test(key)) out[key] = SCRUBBED;
    else if (URL_KEY.test(key) && typeof entry === 'string') out[key] = entry.split('?')[0];
    else out[key] = scrubValue(entry, depth + 1);
  }
  return out;
}

/**
 * Removes personal data from an event before it is sent: no request body, cookies, query string or
 * headers, a user reduced to its id, e-mail addresses masked in messages, query strings cut from
 * URLs, and sensitive keys (passwords, tokens, e-mails, bodies, files) scrubbed in every context,
 * extra and span attribute.
 */
export function scrubEvent<E extends Sentry.Event>(event: E): E {
  if (event.request) {
    event.request = { method: event.request.method, url: event.request.url?.split('?')[0] };
  }
  if (event.user) event.user = event.user.id === undefined ? {} : { id: event.user.id };
  if (event.message) event.message = event.message.replace(EMAIL, SCRUBBED);
  for (const exception of event.exception?.values ?? []) {
    if (exception.value) exception.value = exception.value.replace(EMAIL, SCRUBBED);
  }
  if (event.extra) event.extra = scrubValue(event.extra, 0) as typeof event.extra;
  if (event.contexts) event.contexts = scrubValue(event.contexts, 0) as typeof event.contexts;
  for (const span of event.spans ?? []) {
    if (span.data) span.data = scrubValue(span.data, 0) as typeof span.data;
  }
  delete event.breadcrumbs;
  return event;
}

/**
 * Starts Sentry for a service process on Flotilla's tracer provider: Sentry's own OpenTelemetry setup
 * is skipped and the returned span processor is added to the process's provider, so the spans the
 * sampler keeps (`sampleRatio`) also reach Sentry as transactions, under the same trace ids as in
 * Jaeger and the logs. Release `<service>@<version>`, environment and instance are set; personal data
 * is scrubbed ({@link scrubEvent}). Installs the error reporter that the HTTP error handler calls for
 * every 500, tagging the event with the request id and the trace and span ids of the failed request.
 */
export function startSentry(
  dsn: string,
  identity: ServiceIdentity,
  environment: string,
  sampleRatio: number,
): SpanProcessor {
  Sentry.init({
    dsn,
    release: `${identity.service}@${identity.version}`,
    environment,
    serverName: identity.instanceId,
    skipOpenTelemetrySetup: true,
    registerEsmLoaderHooks: false,
    defaultIntegrations: false,
    integrations: [
      Sentry.onUncaughtExceptionIntegration(),
      Sentry.onUnhandledRejectionIntegration(),
      Sentry.linkedErrorsIntegration(),
    ],
    sendDefaultPii: false,
    tracesSampleRate: sampleRatio,
    beforeSend: (event) => scrubEvent(event),
    beforeSendTransaction: (event) => scrubEvent(event),
    beforeBreadcrumb: () => null,
  });
  Sentry.setTag('service', identity.service);
  setErrorReporter((error, report) => {
    const trace = currentTraceFields();
    Sentry.withScope((scope) => {
      if (report.requestId) scope.setTag('request_id', report.requestId);
      if (report.route) scope.setTag('route', `${report.method ?? ''} ${report.route}`.trim());
      if (report.userId) scope.setUser({ id: report.userId });
      if (trace) {
        scope.setTag('trace_id', trace.trace_id);
        scope.setContext('trace', { trace_id: trace.trace_id, span_id: trace.span_id });
      }
      Sentry.captureException(error);
    });
  });
  return new SentrySpanProcessor();
}

/** Sends what Sentry still buffers (at shutdown). */
export async function flushSentry(timeoutMs = 2000): Promise<void> {
  await Sentry.flush(timeoutMs);
}
