import { connect } from 'amqplib';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithContext } from '../../src/context/request-context.js';
import { isDomainError } from '../../src/errors/domain-error.js';
import { newId } from '../../src/ids/uuid.js';
import type { DeliveryInfo } from '../../src/messaging/consumer.js';
import { listDeadLetters } from '../../src/messaging/dead-letters.js';
import type { EventEnvelope } from '../../src/messaging/event-envelope.js';
import { createMessaging, type Messaging } from '../../src/messaging/messaging.js';
import { createRedis, type RedisConnection } from '../../src/redis/redis-client.js';
import {
  createTestVhost,
  metricValue,
  quietLogger,
  randomPrefix,
  TEST_EVENTS,
  type TestVhost,
  waitFor,
} from './messaging-broker.js';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error('REDIS_URL is not set: run `npm run infra -- up`');

let vhost: TestVhost;
let redis: RedisConnection;
let messaging: Messaging;
const registry = new Registry();
const prefix = randomPrefix();

beforeAll(async () => {
  vhost = await createTestVhost('delivery');
  redis = createRedis({ url: redisUrl, name: 'messaging-test', logger: quietLogger });
  await redis.waitUntilReady();
  messaging = createMessaging({
    url: vhost.url,
    service: 'tester',
    events: TEST_EVENTS,
    logger: quietLogger,
    registry,
    redis: redis.client,
    queuePrefix: prefix,
    onFatal: (error) => {
      throw error;
    },
  });
  await messaging.start();
});

afterAll(async () => {
  await messaging?.close();
  const markers = await redis.client.keys(`idempotency:${prefix}*`);
  if (markers.length > 0) await redis.client.del(...markers);
  await redis?.close();
  await vhost?.remove();
});

describe('publishing', () => {
  it('declares quorum queues with delay queues and a dead-letter queue', async () => {
    const { topology } = await messaging.consume({
      consumer: 'test',
      purpose: 'layout',
      routingKeys: ['test.happened'],
      retryDelaysMs: [1000, 10_000, 60_000],
      handler: async () => ({ action: 'ack' }),
    });
    expect(topology.queue).toBe(`${prefix}q.test.layout`);
    expect(topology.retryQueues.map((retry) => retry.name)).toEqual([
      `${prefix}q.test.layout.retry.1s`,
      `${prefix}q.test.layout.retry.10s`,
      `${prefix}q.test.layout.retry.60s`,
    ]);
    expect(topology.deadLetterQueue).toBe(`${prefix}q.test.layout.dlq`);
    for (const queue of [
      topology.queue,
      ...topology.retryQueues.map((retry) => retry.name),
      topology.deadLetterQueue,
    ]) {
      expect((await vhost.queue(queue))?.type).toBe('quorum');
    }
    expect((await vhost.queue(topology.queue))?.arguments).toMatchObject({
      'x-dead-letter-exchange': 'events.dlx',
      'x-dead-letter-routing-key': topology.queue,
      'x-dead-letter-strategy': 'at-least-once',
      'x-delivery-limit': 20,
    });
    expect((await vhost.queue(`${topology.queue}.retry.10s`))?.arguments).toMatchObject({
      'x-message-ttl': 10_000,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': topology.queue,
    });
  });

  it('refuses an unknown event type or invalid data before sending anything', async () => {
    const unknown = await messaging.publish('test.nothing', {}).catch((error: unknown) => error);
    expect(isDomainError(unknown, 'MESSAGING.UNKNOWN_EVENT_TYPE')).toBe(true);
    const invalid = await messaging
      .publish('test.happened', { n: -1, extra: true })
      .catch((error: unknown) => error);
    expect(isDomainError(invalid, 'MESSAGING.INVALID_EVENT')).toBe(true);
    expect(JSON.stringify((invalid as { data?: unknown }).data)).toContain('/data/n');
    expect(await metricValue(registry, 'messages_published_total', { result: 'invalid' })).toBe(2);
  });

  it('rejects an unroutable event instead of dropping it silently', async () => {
    // No queue is bound to test.other in this virtual host.
    const error = await messaging.publish('test.other', { ok: true }).catch((caught: unknown) => caught);
    expect(isDomainError(error, 'MESSAGING.UNROUTABLE')).toBe(true);
    expect(
      await metricValue(registry, 'messages_published_total', {
        event_type: 'test.other',
        result: 'unroutable',
      }),
    ).toBe(1);
  });
});

describe('consuming', () => {
  it('handles an event delivered twice only once in effect, in the request context of its publisher', async () => {
    const effects = new Map<string, number>();
    const requestIds: string[] = [];
    const queue = `${prefix}q.test.dedupe`;
    await messaging.consume({
      consumer: 'test',
      purpose: 'dedupe',
      routingKeys: ['test.happened'],
      prefetch: 10,
      handler: async (envelope, delivery: DeliveryInfo) => {
        expect(delivery.attempt).toBe(1);
        requestIds.push(String(delivery.headers['x-request-id']));
        effects.set(envelope.event_id, (effects.get(envelope.event_id) ?? 0) + 1);
        return { action: 'ack' };
      },
    });
    const envelope = await runWithContext({ requestId: 'req-dedupe-1' }, () =>
      messaging.publish('test.happened', { n: 1 }),
    );
    expect(envelope.request_id).toBe('req-dedupe-1');
    expect(envelope.producer).toBe('tester');
    await messaging.publishEnvelope(envelope);
    await waitFor(
      'both deliveries',
      async () =>
        (await metricValue(registry, 'messages_consumed_total', { queue, outcome: 'ack' })) +
          (await metricValue(registry, 'messages_consumed_total', { queue, outcome: 'duplicate' })) ===
        2,
    );
    expect(effects.get(envelope.event_id)).toBe(1);
    expect(await metricValue(registry, 'messages_consumed_total', { queue, outcome: 'duplicate' })).toBe(1);
    expect(requestIds).toEqual(['req-dedupe-1']);
    expect(await redis.client.ttl(`idempotency:${prefix}test.dedupe:${envelope.event_id}`)).toBeGreaterThan(
      0,
    );
    await waitFor('an empty queue', async () => (await vhost.ready(queue)) === 0);
  });

  it('retries a failing handler with backoff, then dead-letters it with the last error', async () => {
    const attempts: Array<{ attempt: number; header: unknown; at: number }> = [];
    const queue = `${prefix}q.test.failing`;
    await messaging.consume({
      consumer: 'test',
      purpose: 'failing',
      routingKeys: ['test.happened'],
      retryDelaysMs: [50, 150],
      handler: async (envelope: EventEnvelope<{ n: number }>, delivery) => {
        if (envelope.data.n !== 2) return { action: 'ack' };
        attempts.push({ attempt: delivery.attempt, header: delivery.headers['x-attempt'], at: Date.now() });
        throw new Error(`boom on attempt ${delivery.attempt}`);
      },
    });
    const envelope = await messaging.publish('test.happened', { n: 2 });
    await waitFor('the dead letter', async () => (await vhost.ready(`${queue}.dlq`)) === 1);
    expect(attempts.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
    expect(attempts.map((entry) => entry.header)).toEqual([1, 2, 3]);
    const [first, second, third] = attempts.map((entry) => entry.at) as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(45);
    expect(third - second).toBeGreaterThanOrEqual(145);
    const connection = messaging.connection();
    if (!connection) throw new Error('not connected');
    const [letter] = await listDeadLetters(connection, queue, 10);
    expect(letter?.messageId).toBe(envelope.event_id);
    expect(letter?.reasonKind).toBe('retries_exhausted');
    expect(letter?.reason).toContain('boom on attempt 3');
    expect(letter?.attempt).toBe(3);
    expect(await metricValue(registry, 'messages_retried_total', { queue })).toBe(2);
    expect(
      await metricValue(registry, 'messages_dead_lettered_total', {
        queue,
        reason_kind: 'retries_exhausted',
      }),
    ).toBe(1);
  });

  it('a deferred message waits in the delay queues, longer each time, keeps its attempt and is never dead-lettered', async () => {
    const deliveries: Array<{ attempt: number; deferrals: number; at: number }> = [];
    const queue = `${prefix}q.test.deferring`;
    await messaging.consume({
      consumer: 'test',
      purpose: 'deferring',
      routingKeys: ['test.happened'],
      retryDelaysMs: [50, 150],
      handler: async (envelope: EventEnvelope<{ n: number }>, delivery) => {
        if (envelope.data.n !== 4) return { action: 'ack' };
        deliveries.push({ attempt: delivery.attempt, deferrals: delivery.deferrals, at: Date.now() });
        // The store is "down" for five deliveries: more than the retry delays would allow attempts.
        if (deliveries.length <= 5) return { action: 'defer', reason: 'UPSTREAM.UNAVAILABLE: store down' };
        return { action: 'ack' };
      },
    });
    await messaging.publish('test.happened', { n: 4 });
    await waitFor(
      'acked after the deferrals',
      async () => (await metricValue(registry, 'messages_consumed_total', { queue, outcome: 'ack' })) === 1,
    );
    expect(deliveries.map((entry) => entry.attempt)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(deliveries.map((entry) => entry.deferrals)).toEqual([0, 1, 2, 3, 4, 5]);
    const gaps = deliveries.slice(1).map((entry, index) => entry.at - (deliveries[index]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(45); // the first delay queue
    for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(145); // then the longest
    expect(await metricValue(registry, 'messages_consumed_total', { queue, outcome: 'deferred' })).toBe(5);
    expect(await metricValue(registry, 'messages_retried_total', { queue })).toBe(0);
    expect(await vhost.ready(`${queue}.dlq`)).toBe(0);
  });

  it('dead-letters a handler rejection at once with its reason', async () => {
    const queue = `${prefix}q.test.rejecting`;
    let calls = 0;
    await messaging.consume({
      consumer: 'test',
      purpose: 'rejecting',
      routingKeys: ['test.happened'],
      retryDelaysMs: [50],
      handler: async (envelope: EventEnvelope<{ n: number }>) => {
        if (envelope.data.n !== 3) return { action: 'ack' };
        calls++;
        return { action: 'dead-letter', reason: 'MEDIA.UNSUPPORTED_FORMAT: not an image' };
      },
    });
    await messaging.publish('test.happened', { n: 3 });
    await waitFor('the dead letter', async () => (await vhost.ready(`${queue}.dlq`)) === 1);
    expect(calls).toBe(1);
    const connection = messaging.connection();
    if (!connection) throw new Error('not connected');
    const [letter] = await listDeadLetters(connection, `${queue}.dlq`, 10);
    expect(letter?.reasonKind).toBe('rejected');
    expect(letter?.reason).toBe('MEDIA.UNSUPPORTED_FORMAT: not an image');
  });

  it('sends poison messages (not JSON, or against the schema) to the dead-letter queue at once and keeps flowing', async () => {
    const queue = `${prefix}q.test.poison`;
    const handled: number[] = [];
    await messaging.consume({
      consumer: 'test',
      purpose: 'poison',
      routingKeys: ['test.happened'],
      prefetch: 1,
      handler: async (envelope: EventEnvelope<{ n: number }>) => {
        handled.push(envelope.data.n);
        return { action: 'ack' };
      },
    });
    const raw = await connect(vhost.url);
    try {
      const channel = await raw.createConfirmChannel();
      channel.publish('events', 'test.happened', Buffer.from('{not json'), {
        persistent: true,
      });
      const wrong = {
        event_id: newId(),
        event_type: 'test.happened',
        event_version: 1,
        occurred_at: new Date().toISOString(),
        producer: 'intruder',
        request_id: 'r1',
        data: { n: 'four' },
      };
      channel.publish('events', 'test.happened', Buffer.from(JSON.stringify(wrong)), {
        persistent: true,
        messageId: wrong.event_id,
      });
      await channel.waitForConfirms();
    } finally {
      await raw.close();
    }
    await messaging.publish('test.happened', { n: 5 });
    await waitFor('the valid message', () => handled.includes(5));
    await waitFor('two dead letters', async () => (await vhost.ready(`${queue}.dlq`)) === 2);
    expect(handled.filter((n) => n !== 5 && n !== 1 && n !== 2 && n !== 3)).toEqual([]);
    const connection = messaging.connection();
    if (!connection) throw new Error('not connected');
    const letters = await listDeadLetters(connection, queue, 10);
    expect(letters.map((letter) => letter.reasonKind)).toEqual(['invalid', 'invalid']);
    expect(letters[0]?.reason).toBe('the body is not JSON');
    expect(letters[0]?.body).toBe('{not json');
    expect(letters[1]?.reason).toContain('/data/n');
    expect(await metricValue(registry, 'messages_consumed_total', { queue, outcome: 'invalid' })).toBe(2);
  });

  it('reports queue depths on the metrics registry', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(
      new RegExp(`queue_depth\\{queue="${prefix.replace('.', '\\.')}q\\.test\\.poison\\.dlq"\\} 2`),
    );
    expect(text).toContain('message_handler_duration_seconds_bucket');
  });
});
