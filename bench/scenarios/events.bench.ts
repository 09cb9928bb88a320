/**
 * Events: one operation is an event travelling from a publisher to a consumer and being acknowledged.
 * System: the platform messaging module (envelope built and validated against its contract, persistent,
 * publisher confirm awaited, consumer validates the payload, handler runs, Redis idempotency marker
 * written, ack). Baseline: raw amqplib on the same broker (confirm channel, persistent publish of the
 * same JSON, plain consumer that acks). Same prefetch, same concurrency, same run. Each side uses an
 * exchange and queues of its own, deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { createLogger, createMessaging, createRedis, type EventEnvelope } from '@flotilla/platform';
import { type ConfirmChannel, connect } from 'amqplib';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { compare, runLoad, type Scenario } from '../lib/measure.js';

const CONCURRENCY = 16;
const PREFETCH = 32;
const EVENTS = {
  'bench.happened': Type.Object(
    { n: Type.Integer({ minimum: 0 }), note: Type.String({ maxLength: 64 }) },
    { additionalProperties: false },
  ),
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run \`npm run infra -- up\``);
  return value;
}

/** Resolves the waiter of an id when its message is consumed (which may happen before the wait starts). */
function createWaiters() {
  const waiting = new Map<string, () => void>();
  const early = new Set<string>();
  return {
    wait(id: string): Promise<void> {
      if (early.delete(id)) return Promise.resolve();
      return new Promise((resolve) => waiting.set(id, resolve));
    },
    done(id: string): void {
      const resolve = waiting.get(id);
      if (!resolve) {
        early.add(id);
        return;
      }
      waiting.delete(id);
      resolve();
    },
  };
}

async function measureSystem(label: string, options: { quick: boolean; tag: string }) {
  const logger = createLogger({ service: 'bench', version: '0', level: 'warn' });
  const redis = createRedis({ url: required('REDIS_URL'), name: 'bench-events', logger });
  await redis.waitUntilReady();
  const exchange = `bench.${options.tag}.events`;
  const prefix = `bench.${options.tag}.`;
  const messaging = createMessaging({
    url: required('RABBITMQ_URL'),
    service: 'bench',
    events: EVENTS,
    logger,
    registry: new Registry(),
    redis: redis.client,
    exchange,
    queuePrefix: prefix,
    onFatal: (error) => {
      throw error;
    },
  });
  await messaging.start();
  const waiters = createWaiters();
  const { topology } = await messaging.consume({
    consumer: 'bench',
    purpose: 'events',
    routingKeys: ['bench.happened'],
    prefetch: PREFETCH,
    handler: async (envelope: EventEnvelope) => {
      waiters.done(envelope.event_id);
      return { action: 'ack' };
    },
  });
  let n = 0;
  try {
    return await runLoad(
      async () => {
        n += 1;
        const envelope = await messaging.publish('bench.happened', { n, note: 'benchmark event' });
        await waiters.wait(envelope.event_id);
      },
      {
        label,
        concurrency: CONCURRENCY,
        maxOperations: options.quick ? 2000 : 20_000,
        maxMs: options.quick ? 5000 : 30_000,
        warmup: 50,
      },
    );
  } finally {
    await messaging.close();
    const markers = await redis.client.keys(`idempotency:${prefix}*`);
    for (let i = 0; i < markers.length; i += 1000) await redis.client.del(...markers.slice(i, i + 1000));
    await redis.close();
    await cleanUp(
      [topology.queue, ...topology.retryQueues.map((q) => q.name), topology.deadLetterQueue],
      [exchange, `${exchange}.dlx`],
    );
  }
}

async function measureBaseline(label: string, options: { quick: boolean; tag: string }) {
  const connection = await connect(required('RABBITMQ_URL'));
  const publisher: ConfirmChannel = await connection.createConfirmChannel();
  const consumer = await connection.createChannel();
  const exchange = `bench.${options.tag}.raw`;
  const queue = `bench.${options.tag}.raw.q`;
  await publisher.assertExchange(exchange, 'topic', { durable: true });
  await publisher.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await publisher.bindQueue(queue, exchange, 'bench.happened');
  await consumer.prefetch(PREFETCH);
  const waiters = createWaiters();
  await consumer.consume(queue, (message) => {
    if (!message) return;
    waiters.done(String(message.properties.messageId));
    consumer.ack(message);
  });
  let n = 0;
  try {
    return await runLoad(
      async () => {
        n += 1;
        const id = `${options.tag}-${n}`;
        const body = Buffer.from(
          JSON.stringify({
            event_id: id,
            event_type: 'bench.happened',
            data: { n, note: 'benchmark event' },
          }),
        );
        const consumed = waiters.wait(id);
        await new Promise<void>((resolve, reject) => {
          publisher.publish(
            exchange,
            'bench.happened',
            body,
            { persistent: true, messageId: id, contentType: 'application/json', mandatory: true },
            (error) => (error ? reject(error) : resolve()),
          );
        });
        await consumed;
      },
      {
        label,
        concurrency: CONCURRENCY,
        maxOperations: options.quick ? 2000 : 20_000,
        maxMs: options.quick ? 5000 : 30_000,
        warmup: 50,
      },
    );
  } finally {
    await connection.close();
    await cleanUp([queue], [exchange]);
  }
}

async function cleanUp(queues: string[], exchanges: string[]): Promise<void> {
  const connection = await connect(required('RABBITMQ_URL'));
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
    for (const exchange of exchanges) await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}

const scenario: Scenario = {
  name: 'events',
  description:
    'Publish with confirms + consume + ack + idempotency marker through the platform messaging module vs raw amqplib (confirm channel, persistent, quorum queue) on the same broker.',
  async run({ quick }) {
    const tag = randomBytes(3).toString('hex');
    const baseline = await measureBaseline('raw amqplib publish/consume', { quick, tag });
    const system = await measureSystem('platform messaging (validated, confirmed, idempotent)', {
      quick,
      tag,
    });
    return [
      compare('events', this.description, system, baseline, {
        concurrency: CONCURRENCY,
        notes: [
          `Prefetch ${PREFETCH}, ${CONCURRENCY} publishers in a closed loop, quorum queues on both sides.`,
        ],
      }),
    ];
  },
};

export default scenario;
