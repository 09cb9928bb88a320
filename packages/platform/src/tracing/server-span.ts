import {
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The HTTP server span of each request, opened by the app's own hooks rather than by the
 * OpenTelemetry HTTP instrumentation: that instrumentation patches every request and response
 * emitter, computes some twenty attributes and binds listeners even for requests the sampler drops,
 * which cost the cached read path more than the rest of the request (see the tracing benchmark).
 * Here a request costs one header extraction, one span with a few attributes (stable HTTP semantic
 * conventions) and one context switch; Fastify keeps the context across body parsing.
 */

// The tracer of the SDK's provider, taken once it is installed (getTracer builds a key and looks it up).
let tracer: Tracer | undefined;
const spans = new WeakMap<FastifyRequest, Span>();

/** Called by the telemetry SDK once installed: from then on, HTTP apps open a span per request. */
export function enableServerSpans(): void {
  tracer = trace.getTracer('@flotilla/platform');
}

/** Whether the telemetry SDK is installed in this process (spans are being recorded). */
export function tracingInstalled(): boolean {
  return tracer !== undefined;
}

/** Operational endpoints polled by probes and Prometheus: no spans for them. */
function isOperational(route: string | undefined): boolean {
  return route === '/metrics' || (route?.startsWith('/health/') ?? false);
}

/**
 * Runs `next` (the rest of the request) inside a server span named after the route template
 * (`POST /api/v1/media`), child of the W3C trace context the caller sent (`traceparent`), so every
 * span and log line of the request joins the caller's trace. Without a tracing SDK, `next` runs as is.
 */
export function runInServerSpan(request: FastifyRequest, next: () => void): void {
  const route = request.routeOptions.url;
  if (!tracer || isOperational(route)) {
    next();
    return;
  }
  const parent = propagation.extract(context.active(), request.headers);
  const span = tracer.startSpan(
    route ? `${request.method} ${route}` : request.method,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, ...(route ? { 'http.route': route } : {}) },
    },
    parent,
  );
  // The rest only for a span the sampler kept: the client address goes through the proxy rules.
  if (span.isRecording()) {
    const queryAt = request.url.indexOf('?');
    span.setAttributes({
      'url.path': queryAt === -1 ? request.url : request.url.slice(0, queryAt),
      'url.scheme': request.protocol,
      'client.address': request.ip,
    });
  }
  spans.set(request, span);
  context.with(trace.setSpan(parent, span), next);
}

/** Ends the request's server span with its status (5xx: error); a no-op without one. */
export function endServerSpan(request: FastifyRequest, reply: FastifyReply): void {
  const span = spans.get(request);
  if (!span) return;
  spans.delete(request);
  span.setAttribute('http.response.status_code', reply.statusCode);
  if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** Ends the request's server span of a request the client gave up on. */
export function abortServerSpan(request: FastifyRequest): void {
  const span = spans.get(request);
  if (!span) return;
  spans.delete(request);
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted by the client' });
  span.end();
}
