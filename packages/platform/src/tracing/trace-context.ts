import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * The ids of the span in progress, as log fields (`trace_id`, `span_id`), or undefined outside a
 * recorded span (and always when no tracing SDK is installed: the API is then a no-op).
 */
export function currentTraceFields(): Record<string, string> | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return undefined;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/** The trace id of the span in progress, if any. */
export function currentTraceId(): string | undefined {
  return currentTraceFields()?.trace_id;
}

/** Adds the W3C trace context of the current span (`traceparent`, `tracestate`) to `headers`. */
export function injectTraceHeaders(headers: Record<string, unknown>): void {
  propagation.inject(context.active(), headers);
}

/**
 * Runs `fn` in the trace context that `headers` carry (`traceparent`, `tracestate`), as if it were called
 * from the span that wrote them: spans it starts join that trace (the outbox relay publishes an event in
 * the trace of the request that stored it). Without valid headers `fn` runs outside any trace.
 */
export function withTraceHeaders<T>(headers: Readonly<Record<string, unknown>>, fn: () => T): T {
  return context.with(propagation.extract(ROOT_CONTEXT, headers), fn);
}

/**
 * Runs `fn` as a consumer span named `process <queue>` whose parent is the trace context carried
 * in a message's headers, so the work a message causes joins the trace of whoever published it.
 * When the amqplib instrumentation already opened the consumer span, `fn` simply runs inside it.
 */
export async function withMessageTraceContext<T>(
  queue: string,
  headers: Readonly<Record<string, unknown>>,
  fn: () => Promise<T>,
): Promise<T> {
  const active = trace.getActiveSpan();
  if (active && isSpanContextValid(active.spanContext())) return fn();
  const parent = propagation.extract(context.active(), headers);
  const tracer = trace.getTracer('@flotilla/platform');
  return tracer.startActiveSpan(
    `process ${queue}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { 'messaging.system': 'rabbitmq', 'messaging.destination.name': queue },
    },
    parent,
    async (span) => {
      try {
        return await fn();
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Exports the spans still buffered (a process exits right after its shutdown steps). Resolves at
 * once when no SDK is installed.
 */
export async function flushTraces(): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
  if (typeof delegate.forceFlush === 'function') await delegate.forceFlush();
}

/**
 * Runs `action` outside the span in progress, so the instrumented libraries it calls (ioredis, pg and
 * MongoDB are set up to trace only within a span) record nothing and skip their per-call wrapping.
 * For a quick call whose span would only re-state its parent's, on a hot path: a cached read's Redis
 * GET costs about as much to trace as to make. Spans the action starts itself are roots of new traces,
 * so keep it to such leaf calls. Without SDK (or outside any span), `action` runs as is.
 */
export function withoutSpans<T>(action: () => T): T {
  const active = context.active();
  if (trace.getSpan(active) === undefined) return action();
  return context.with(trace.deleteSpan(active), action);
}

/** Attributes of a span: flat string, number or boolean values. */
export type SpanAttributes = Record<string, string | number | boolean>;

/**
 * Runs `action` as an active internal span `name` (a manual span around work no library
 * instrumentation sees, e.g. image encoding). A failure is recorded on the span and rethrown; the span
 * always ends. `action` may add attributes learnt along the way. A no-op wrapper without SDK.
 */
export function withSpan<T>(
  name: string,
  attributes: SpanAttributes,
  action: (setAttributes: (more: SpanAttributes) => void) => Promise<T>,
): Promise<T> {
  return trace
    .getTracer('@flotilla/platform')
    .startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, (span) => runInSpan(span, action));
}

/** Runs `action` in `span`: a failure is recorded on the span and rethrown; the span always ends. */
async function runInSpan<T>(
  span: Span,
  action: (setAttributes: (more: SpanAttributes) => void) => Promise<T>,
): Promise<T> {
  try {
    return await action((more) => span.setAttributes(more));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Runs `action` as the root span of a new trace (server kind): the handling of a request that arrives
 * on a transport no instrumentation sees, such as a Telegram update. Everything it causes (data-service
 * calls, messages published, the work of their consumers) joins that trace. When a span is in progress
 * (the webhook request that handed the update over, answered before the handling ends) the new span
 * is linked to it rather than parented. A failure is recorded on the span and rethrown; the span
 * always ends. A no-op wrapper without SDK.
 */
export function withRootSpan<T>(
  name: string,
  attributes: SpanAttributes,
  action: (setAttributes: (more: SpanAttributes) => void) => Promise<T>,
): Promise<T> {
  const handedOverBy = trace.getActiveSpan()?.spanContext();
  const links = handedOverBy && isSpanContextValid(handedOverBy) ? [{ context: handedOverBy }] : [];
  return trace
    .getTracer('@flotilla/platform')
    .startActiveSpan(name, { kind: SpanKind.SERVER, attributes, links, root: true }, (span) =>
      runInSpan(span, action),
    );
}
