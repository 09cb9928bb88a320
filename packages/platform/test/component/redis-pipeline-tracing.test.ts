import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/redis/redis-client.js';

const url = process.env.REDIS_URL;
if (!url) throw new Error('REDIS_URL is not set: run `npm run infra -- up`');

// The instrumentation hooks require(): it is registered before the Redis client module loads ioredis,
// as the telemetry bootstrap does before any application code.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const instrumentation = new IORedisInstrumentation({ requireParentSpan: true });
let redis: RedisConnection;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
  const { enableServerSpans } = await import('../../src/tracing/server-span.js');
  enableServerSpans();
  const { createRedis } = await import('../../src/redis/redis-client.js');
  redis = createRedis({ url, name: 'platform-test-traced', logger: pino({ level: 'silent' }) });
  await redis.waitUntilReady();
});

afterAll(async () => {
  await redis?.close();
  instrumentation.disable();
  trace.disable();
  context.disable();
});

/** Runs `action` as a request would: inside its own span, which is returned with the result. */
async function inRequest<T>(name: string, action: () => Promise<T>): Promise<{ spanId: string; result: T }> {
  return trace.getTracer('test').startActiveSpan(name, async (span) => {
    try {
      return { spanId: span.spanContext().spanId, result: await action() };
    } finally {
      span.end();
    }
  });
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('auto-pipelining with tracing installed', () => {
  it('sends the commands of concurrent requests together, each span in its own request trace', async () => {
    exporter.reset();
    const requests = Array.from({ length: 5 }, (_, index) =>
      inRequest(`request ${index}`, () => redis.client.echo(`reply-${index}`)),
    );
    // The five commands wait in one pipeline until the turn ends.
    expect(redis.client.autoPipelineQueueSize).toBe(5);
    const done = await Promise.all(requests);
    expect(done.map((request) => request.result)).toEqual(
      Array.from({ length: 5 }, (_, index) => `reply-${index}`),
    );

    const commandSpans = exporter.getFinishedSpans().filter((span) => span.name === 'echo');
    expect(commandSpans).toHaveLength(5);
    const requestSpans = exporter.getFinishedSpans().filter((span) => span.name.startsWith('request '));
    for (const [index, request] of done.entries()) {
      const own = requestSpans.find((span) => span.name === `request ${index}`);
      const command = commandSpans.filter((span) => parentOf(span) === request.spanId);
      // Exactly one command span under each request, in that request's trace.
      expect(command).toHaveLength(1);
      expect(command[0]?.spanContext().traceId).toBe(own?.spanContext().traceId);
    }
  });

  it('makes no span for a command issued outside any request, even in a pipeline with traced ones', async () => {
    exporter.reset();
    const outside = context.with(trace.deleteSpan(context.active()), () => redis.client.echo('background'));
    const traced = inRequest('request', () => redis.client.echo('traced'));
    expect(redis.client.autoPipelineQueueSize).toBe(2);
    await expect(outside).resolves.toBe('background');
    const request = await traced;
    const commandSpans = exporter.getFinishedSpans().filter((span) => span.name === 'echo');
    expect(commandSpans.map(parentOf)).toEqual([request.spanId]);
  });
});
