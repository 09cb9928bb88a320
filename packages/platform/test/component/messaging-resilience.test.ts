import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../src/messaging/event-envelope.js';
import { createMessaging, type Messaging, type MessagingOptions } from '../../src/messaging/messaging.js';
import { createRedis, type RedisConnection } from '../../src/redis/redis-client.js';
import {
  createTestVhost,
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
const prefix = randomPrefix();
const opened: Messaging[] = [];

function open(overrides: Partial<MessagingOptions> = {}): Messaging {
  const messaging = createMessaging({
    url: vhost.url,
    service: 'tester',
    events: TEST_EVENTS,
    logger: quietLogger,
    registry: new Registry(),
    redis: redis.client,
    queuePrefix: prefix,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500, maxAttempts: 20 },
    onFatal: (error) => {
      throw error;
    },
    ...overrides,
  });
  opened.push(messaging);
  return messaging;
}

beforeAll(async () => {
  vhost = await createTestVhost('resilience');
  redis = createRedis({ url: redisUrl, name: 'messaging-test', logger: quietLogger });
  await redis.waitUntilReady();
});

afterAll(async () => {
  await Promise.all(opened.map((messaging) => messaging.close()));
  const markers = await redis.client.keys(`idempotency:${prefix}*`);
  if (markers.length > 0) await redis.client.del(...markers);
  await redis?.close();
  await vhost?.remove();
});

describe('when the broker closes the connection mid-stream', () => {
  it('reconnects, re-declares, resumes consuming, and loses no confirmed message', async () => {
    const publisher = open();
    const consumer = open();
    await publisher.start();
    await consumer.start();
    const seen = new Set<string>();
    await consumer.consume({
      consumer: 'test',
      purpose: 'cut',
      routingKeys: ['test.happened'],
      prefetch: 20,
      handler: async (envelope) => {
        seen.add(envelope.event_id);
        return { action: 'ack' };
      },
    });
    await waitFor(
      'both connections listed by the management API',
      async () => (await vhost.connections()).length >= 2,
    );

    const total = 300;
    const confirmed: string[] = [];
    const failed: unknown[] = [];
    let confirmedAtCut: number | undefined;
    const cutting = (async () => {
      await waitFor('some confirmed publishes', () => confirmed.length >= 50);
      for (const name of await vhost.connections()) await vhost.closeConnection(name);
      confirmedAtCut = confirmed.length;
    })();
    // Four publishers in parallel, each awaiting its confirms, across the cut.
    await Promise.all(
      Array.from({ length: 4 }, async (_, lane) => {
        for (let n = lane; n < total; n += 4) {
          try {
            const envelope = await publisher.publish('test.happened', { n });
            confirmed.push(envelope.event_id);
          } catch (error) {
            failed.push(error);
          }
          if (n % 8 === 0) await sleep(5);
        }
      }),
    );
    await cutting;
    // The cut happened while publishing was still going on.
    expect(confirmedAtCut).toBeLessThan(total);
    expect(failed).toEqual([]);
    expect(confirmed).toHaveLength(total);
    await waitFor('every confirmed event consumed', () => confirmed.every((id) => seen.has(id)), 20_000);
    expect(publisher.connection()).toBeDefined();
    await expect(consumer.check()).resolves.toBeUndefined();
  });
});

describe('graceful close', () => {
  it('lets a running handler finish and acks its message', async () => {
    const messaging = open({ drainTimeoutMs: 5000 });
    await messaging.start();
    let started = false;
    let finished = false;
    const { topology } = await messaging.consume({
      consumer: 'test',
      purpose: 'drain',
      routingKeys: ['test.happened'],
      handler: async () => {
        started = true;
        await sleep(400);
        finished = true;
        return { action: 'ack' };
      },
    });
    await messaging.publish('test.happened', { n: 1 });
    await waitFor('the handler to start', () => started);
    await messaging.close();
    expect(finished).toBe(true);
    expect(await vhost.ready(topology.queue)).toBe(0);
  });

  it('puts back a message whose handler outlives the drain deadline, and another consumer gets it', async () => {
    const runs: Array<{ instance: number; redelivered: boolean }> = [];
    const handlerFor =
      (instance: number, delayMs: number) =>
      async (_envelope: EventEnvelope, delivery: { redelivered: boolean }) => {
        runs.push({ instance, redelivered: delivery.redelivered });
        await sleep(delayMs);
        return { action: 'ack' as const };
      };
    const first = open({ drainTimeoutMs: 100 });
    await first.start();
    const { topology } = await first.consume({
      consumer: 'test',
      purpose: 'requeue',
      routingKeys: ['test.happened'],
      handler: handlerFor(1, 1500),
    });
    await first.publish('test.happened', { n: 2 });
    await waitFor('the first handler to start', () => runs.length === 1);
    await first.close();
    const second = open();
    await second.start();
    await second.consume({
      consumer: 'test',
      purpose: 'requeue',
      routingKeys: ['test.happened'],
      handler: handlerFor(2, 0),
    });
    await waitFor('the redelivery', () => runs.some((run) => run.instance === 2));
    expect(runs.find((run) => run.instance === 2)?.redelivered).toBe(true);
    await waitFor('an empty queue', async () => (await vhost.ready(topology.queue)) === 0);
  });
});

describe('when the broker stays unreachable', () => {
  it('gives up after the bounded number of reconnects and calls onFatal', async () => {
    const doomed = await createTestVhost('doomed');
    let fatal: Error | undefined;
    const messaging = createMessaging({
      url: doomed.url,
      service: 'tester',
      events: TEST_EVENTS,
      logger: quietLogger,
      registry: new Registry(),
      reconnect: { initialDelayMs: 20, maxDelayMs: 50, maxAttempts: 3 },
      onFatal: (error) => {
        fatal = error;
      },
    });
    try {
      await messaging.start();
      // Deleting the virtual host closes its connections, and every reconnect is refused.
      await doomed.remove();
      await waitFor('onFatal', () => fatal !== undefined);
      expect(fatal?.message).toMatch(/after 3 attempts/);
      await expect(messaging.check()).rejects.toThrow();
      await expect(messaging.publish('test.happened', { n: 1 })).rejects.toMatchObject({
        code: 'MESSAGING.NOT_CONNECTED',
      });
    } finally {
      await messaging.close();
      await doomed.remove();
    }
  });
});
