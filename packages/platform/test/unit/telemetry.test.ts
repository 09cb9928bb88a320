import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commonEnv } from '../../src/config/common.js';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { toTelemetryConfig } from '../../src/config/telemetry-env.js';
import { scrubEvent } from '../../src/errors/sentry.js';
import { createLogger } from '../../src/logging/logger.js';
import { identifyService } from '../../src/tracing/service-identity.js';
import {
  currentTraceFields,
  injectTraceHeaders,
  withMessageTraceContext,
  withoutSpans,
  withRootSpan,
  withSpan,
} from '../../src/tracing/trace-context.js';
import { createUrlCredentialsRedactor } from '../../src/tracing/url-credentials.span-processor.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..', '..');
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = () => trace.getTracer('test');

describe('telemetry without an SDK', () => {
  it('gives no trace fields, and the logger writes none', async () => {
    expect(currentTraceFields()).toBeUndefined();
    const stream = new PassThrough();
    const lines: Array<Record<string, unknown>> = [];
    stream.on('data', (chunk: Buffer) => lines.push(JSON.parse(chunk.toString())));
    createLogger({ service: 'svc', version: '1', destination: stream }).info('plain');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).not.toHaveProperty('trace_id');
  });
});

describe('telemetry with an SDK', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(() => {
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('puts the active span ids on every log line', async () => {
    const stream = new PassThrough();
    const lines: Array<Record<string, unknown>> = [];
    stream.on('data', (chunk: Buffer) => lines.push(JSON.parse(chunk.toString())));
    const logger = createLogger({ service: 'svc', version: '1', destination: stream });
    const ids = tracer().startActiveSpan('work', (span) => {
      logger.info('inside');
      span.end();
      return span.spanContext();
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
  });

  it('a consumed message continues the trace of its publisher, as a consumer span', async () => {
    const headers: Record<string, unknown> = {};
    const publisher = tracer().startActiveSpan('publish', (span) => {
      injectTraceHeaders(headers);
      span.end();
      return span.spanContext();
    });
    expect(headers.traceparent).toContain(publisher.traceId);
    exporter.reset();
    const seen = await withMessageTraceContext('q.worker.media', headers, async () => currentTraceFields());
    expect(seen?.trace_id).toBe(publisher.traceId);
    const [consumer] = exporter.getFinishedSpans();
    expect(consumer?.name).toBe('process q.worker.media');
    expect(consumer?.parentSpanContext?.spanId).toBe(publisher.spanId);
  });

  it('a manual span records the failure of its work and ends', async () => {
    exporter.reset();
    await expect(
      withSpan('sharp transform', { 'image.format': 'jpeg' }, async () => {
        throw new Error('broken image');
      }),
    ).rejects.toThrow('broken image');
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes).toMatchObject({ 'image.format': 'jpeg' });
    expect(span?.status.code).toBe(2);
    expect(span?.events.map((event) => event.name)).toContain('exception');
  });

  it('a call made without spans sees no parent (so instrumentations that need one record nothing), and the request span is back after it', async () => {
    exporter.reset();
    const seen = await tracer().startActiveSpan('GET /api/v1/users/me', async (span) => {
      const inside = await withoutSpans(async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return trace.getActiveSpan();
      });
      const after = trace.getActiveSpan();
      span.end();
      return { inside, after: after?.spanContext().spanId, own: span.spanContext().spanId };
    });
    expect(seen.inside).toBeUndefined();
    expect(seen.after).toBe(seen.own);
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['GET /api/v1/users/me']);
    // Outside any span it simply runs the action.
    expect(withoutSpans(() => 42)).toBe(42);
  });

  it('a root span starts a new trace, linked to the request that handed the work over', async () => {
    exporter.reset();
    const { request, inside } = await tracer().startActiveSpan('POST /telegram/webhook', async (span) => {
      const seen = await withRootSpan(
        'telegram message',
        { 'telegram.update_id': 7 },
        async (setAttributes) => {
          setAttributes({ 'bot.handler': 'photo' });
          return currentTraceFields();
        },
      );
      span.end();
      return { request: span.spanContext(), inside: seen };
    });
    const update = exporter.getFinishedSpans().find((span) => span.name === 'telegram message');
    expect(update?.parentSpanContext).toBeUndefined();
    expect(inside?.trace_id).toBe(update?.spanContext().traceId);
    expect(inside?.trace_id).not.toBe(request.traceId);
    expect(update?.links.map((link) => link.context.spanId)).toEqual([request.spanId]);
    expect(update?.kind).toBe(1);
    expect(update?.attributes).toMatchObject({ 'telegram.update_id': 7, 'bot.handler': 'photo' });
  });
});

describe('secrets in URLs', () => {
  it('a bot token in a Bot API URL never reaches the exporter', () => {
    const exported = new InMemorySpanExporter();
    const redacting = new BasicTracerProvider({
      spanProcessors: [createUrlCredentialsRedactor(), new SimpleSpanProcessor(exported)],
    });
    const token = '1234567:AAH-secret_Token';
    redacting
      .getTracer('test')
      .startSpan('POST', {
        attributes: {
          'url.full': `http://127.0.0.1:8081/bot${token}/sendMessage`,
          'http.url': `https://api.telegram.org/file/bot${token}/photos/file_1.jpg`,
          'url.path': `/bot${token}/getUpdates`,
          'server.address': '127.0.0.1',
        },
      })
      .end();
    const [span] = exported.getFinishedSpans();
    expect(span?.attributes).toEqual({
      'url.full': 'http://127.0.0.1:8081/bot<redacted>/sendMessage',
      'http.url': 'https://api.telegram.org/file/bot<redacted>/photos/file_1.jpg',
      'url.path': '/bot<redacted>/getUpdates',
      'server.address': '127.0.0.1',
    });
    expect(JSON.stringify(span?.attributes)).not.toContain('secret_Token');
  });
});

describe('telemetry settings', () => {
  const schema = Type.Object(commonEnv(8000));

  it('tracing is off unless an OTLP URL is given; the ratio defaults to 1', () => {
    const settings = toTelemetryConfig(loadConfig(schema, { service: 't', env: {} }));
    expect(settings).toMatchObject({ otlpUrl: undefined, sampleRatio: 1, sentryDsn: undefined });
    const on = toTelemetryConfig(
      loadConfig(schema, {
        service: 't',
        env: { TRACING_OTLP_URL: 'http://127.0.0.1:4318/', TRACING_SAMPLE_RATIO: '0.25' },
      }),
    );
    expect(on).toMatchObject({ otlpUrl: 'http://127.0.0.1:4318', sampleRatio: 0.25 });
  });

  it('rejects a ratio outside 0-1 and a URL that is not http(s), in one report', () => {
    const error = (() => {
      try {
        loadConfig(schema, {
          service: 't',
          env: { TRACING_OTLP_URL: 'jaeger:4318', TRACING_SAMPLE_RATIO: '2' },
        });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.variable).sort()).toEqual([
      'TRACING_OTLP_URL',
      'TRACING_SAMPLE_RATIO',
    ]);
  });

  it('names the service after the package of its main script', () => {
    const identity = identifyService(join(repoRoot, 'services', 'worker', 'src', 'main.ts'), 'worker-7');
    expect(identity).toEqual({
      service: 'worker',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      instanceId: 'worker-7',
    });
  });
});

describe('error reports', () => {
  it('lose request bodies, headers, credentials and e-mail addresses before they are sent', () => {
    const event = scrubEvent({
      message: 'login failed for ada@example.com',
      request: {
        method: 'POST',
        url: 'http://127.0.0.1/api/v1/auth/login?next=/me',
        data: { email: 'ada@example.com', password: 'hunter2' },
        headers: { authorization: 'Bearer abc', cookie: 'sid=1' },
        cookies: { sid: '1' },
      },
      user: { id: 'u-1', email: 'ada@example.com', ip_address: '10.0.0.1' },
      exception: { values: [{ type: 'Error', value: 'no account ada@example.com' }] },
      extra: {
        body: { password: 'hunter2' },
        attempt: 2,
        nested: { token: 'abc', note: 'mail ada@example.com' },
      },
      breadcrumbs: [{ message: 'password hunter2' }],
      spans: [
        {
          span_id: 'a',
          trace_id: 'b',
          start_timestamp: 0,
          data: {
            'http.url': 'http://127.0.0.1/api/v1/users?email=ada@example.com',
            'http.status_code': 200,
          },
        },
      ],
    });
    const text = JSON.stringify(event);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('ada@example.com');
    expect(text).not.toContain('Bearer');
    expect(event.request).toEqual({ method: 'POST', url: 'http://127.0.0.1/api/v1/auth/login' });
    expect(event.user).toEqual({ id: 'u-1' });
    expect(event.extra).toMatchObject({ attempt: 2 });
    expect(event.spans?.[0]?.data).toEqual({
      'http.url': 'http://127.0.0.1/api/v1/users',
      'http.status_code': 200,
    });
  });
});
