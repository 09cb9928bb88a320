import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Type } from 'typebox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHealth } from '../../src/health/health.js';
import { createHttpApp, type HttpApp } from '../../src/http/create-http-app.js';
import { createLogger } from '../../src/logging/logger.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { enableServerSpans } from '../../src/tracing/server-span.js';
import { currentTraceFields, withSpan } from '../../src/tracing/trace-context.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const callerSpanId = '00f067aa0ba902b7';
const traceparent = `00-${callerTraceId}-${callerSpanId}-01`;
let app: HttpApp;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  enableServerSpans();
  app = await createHttpApp({
    service: 'test',
    version: '1.0.0',
    logger: createLogger({ service: 'test', version: '1.0.0', level: 'silent' }),
    metrics: createMetrics({ service: 'test', version: '1.0.0' }),
    health: createHealth({ checkTimeoutMs: 200 }),
    bodyLimit: 1024,
  });
  app.post('/items/:id', { schema: { body: Type.Object({ name: Type.String() }) } }, async () =>
    withSpan('store item', {}, async () => ({ inner: currentTraceFields() })),
  );
  app.get('/boom', async () => {
    throw new Error('broken');
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  trace.disable();
  context.disable();
  propagation.disable();
});

beforeEach(() => exporter.reset());

describe('HTTP server spans', () => {
  it("a request's span is named after its route, continues the caller's trace and parents the spans of the handler, across body parsing", async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/items/42?secret=x',
      headers: { traceparent },
      payload: { name: 'a' },
    });
    expect(response.statusCode).toBe(200);
    const spans = exporter.getFinishedSpans();
    const server = spans.find((span) => span.kind === SpanKind.SERVER);
    const inner = spans.find((span) => span.name === 'store item');
    expect(server?.name).toBe('POST /items/:id');
    expect(server?.spanContext().traceId).toBe(callerTraceId);
    expect(server?.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(server?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/items/:id',
      'url.path': '/items/42',
      'url.scheme': 'http',
      'client.address': '127.0.0.1',
      'http.response.status_code': 200,
    });
    expect(inner?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    expect(response.json().inner.trace_id).toBe(callerTraceId);
  });

  it('a 500 marks the span as an error', async () => {
    const response = await app.inject({ method: 'GET', url: '/boom' });
    expect(response.statusCode).toBe(500);
    const [server] = exporter.getFinishedSpans();
    expect(server?.name).toBe('GET /boom');
    expect(server?.status.code).toBe(SpanStatusCode.ERROR);
    expect(server?.attributes['http.response.status_code']).toBe(500);
  });

  it('probes and scrapes make no span', async () => {
    for (const url of ['/health/live', '/metrics']) {
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    }
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
