import { isDomainError } from '@flotilla/platform';
import { type Attributes, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { Histogram } from 'prom-client';

/** The instrumentation scope of the knowledge base's spans. */
export const KNOWLEDGE_TRACER = '@flotilla/knowledge';

/**
 * The knowledge base's tracer. Through the OpenTelemetry API only: its spans are no-ops until the
 * process installs an SDK, and they join that SDK as soon as it is registered.
 */
export function knowledgeTracer(version: string): Tracer {
  return trace.getTracer(KNOWLEDGE_TRACER, version);
}

/** How one step is recorded: span attributes known up front, and the histogram timing it, if any. */
export interface Step<L extends string> {
  attributes?: Attributes;
  histogram?: Histogram<L>;
  labels?: Partial<Record<L, string>>;
}

/**
 * Runs `action` as the active span `name` (kind INTERNAL) and times it into `step.histogram` when one
 * is given: the single place where the knowledge base measures its steps. Being active, the span is the
 * parent of the spans started inside (LangChain, HTTP). Attributes learnt along the way are set on the
 * span handed to `action`. A failure is recorded on the span (exception, ERROR status with the domain
 * error code) and rethrown; the span always ends.
 */
export function timed<T, L extends string = never>(
  tracer: Tracer,
  name: string,
  step: Step<L>,
  action: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(
    name,
    { kind: SpanKind.INTERNAL, ...(step.attributes ? { attributes: step.attributes } : {}) },
    async (span) => {
      const stop = step.histogram?.startTimer(step.labels);
      try {
        return await action(span);
      } catch (error) {
        recordFailure(span, error);
        throw error;
      } finally {
        stop?.();
        span.end();
      }
    },
  );
}

function recordFailure(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    ...(isDomainError(error) ? { message: error.code } : {}),
  });
}
