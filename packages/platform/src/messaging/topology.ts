import type { Channel, ChannelModel } from 'amqplib';

/** Names of the shared exchanges and the prefix of every queue (tests use their own). */
export interface TopologyNames {
  /** Topic exchange every event is published to; `events` by default. */
  exchange: string;
  /** Direct exchange of dead letters (routing key = work queue); `<exchange>.dlx` by default. */
  deadLetterExchange: string;
  /** Prefix of every queue name; empty by default (`q.worker.media`). */
  queuePrefix: string;
}

/** `quorum` (replicated, RabbitMQ 3.8+) or `classic` queues. */
export type QueueType = 'quorum' | 'classic';

/** What one consumer declares: its work queue, delay queues and dead-letter queue. */
export interface ConsumerTopology {
  /** The work queue, `q.<consumer>.<purpose>`. */
  queue: string;
  /** Routing keys (event types; `*` and `#` wildcards allowed) bound to the work queue. */
  routingKeys: readonly string[];
  /** One delay queue per retry, in order. */
  retryQueues: ReadonlyArray<{ name: string; delayMs: number }>;
  /** `<queue>.dlq`. */
  deadLetterQueue: string;
}

const NAME_PART = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;

/** Resolves the exchange names and queue prefix from partial options. */
export function resolveTopologyNames(options: Partial<TopologyNames> = {}): TopologyNames {
  const exchange = options.exchange ?? 'events';
  return {
    exchange,
    deadLetterExchange: options.deadLetterExchange ?? `${exchange}.dlx`,
    queuePrefix: options.queuePrefix ?? '',
  };
}

/** `<prefix>q.<consumer>.<purpose>`; both parts lower-case words (dots allowed inside `purpose`). */
export function workQueueName(names: TopologyNames, consumer: string, purpose: string): string {
  for (const part of [consumer, purpose]) {
    if (!NAME_PART.test(part) || part.length > 64) throw new Error(`invalid queue name part "${part}"`);
  }
  return `${names.queuePrefix}q.${consumer}.${purpose}`;
}

/** `1s`, `10s`, `60s`, `1500ms`: the suffix of a delay queue. */
export function formatDelay(delayMs: number): string {
  return delayMs % 1000 === 0 ? `${delayMs / 1000}s` : `${delayMs}ms`;
}

/** `<queue>.retry.<delay>`, e.g. `q.worker.media.retry.10s`. */
export function retryQueueName(queue: string, delayMs: number): string {
  return `${queue}.retry.${formatDelay(delayMs)}`;
}

/** `<queue>.dlq`. */
export function deadLetterQueueName(queue: string): string {
  return `${queue}.dlq`;
}

/** The work queue of a dead-letter queue name, or the name itself when it is a work queue. */
export function workQueueOf(queue: string): string {
  return queue.endsWith('.dlq') ? queue.slice(0, -'.dlq'.length) : queue;
}

/** The topology of one consumer from its queue name, routing keys and retry delays. */
export function consumerTopology(
  queue: string,
  routingKeys: readonly string[],
  retryDelaysMs: readonly number[],
): ConsumerTopology {
  const delays = retryDelaysMs.map((delayMs) => {
    if (!Number.isInteger(delayMs) || delayMs <= 0) throw new Error(`invalid retry delay ${delayMs}`);
    return { name: retryQueueName(queue, delayMs), delayMs };
  });
  if (new Set(delays.map((delay) => delay.name)).size !== delays.length) {
    throw new Error(`retry delays of ${queue} must be distinct`);
  }
  return { queue, routingKeys, retryQueues: delays, deadLetterQueue: deadLetterQueueName(queue) };
}

/** `quorum` when the broker supports quorum queues (RabbitMQ 3.8 or later), else `classic`. */
export function detectQueueType(connection: ChannelModel): QueueType {
  const version = connection.connection.serverProperties?.version ?? '';
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return 'classic';
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major > 3 || (major === 3 && minor >= 8) ? 'quorum' : 'classic';
}

/** Declares the topic exchange of events and the dead-letter exchange (both durable). */
export async function declareExchanges(channel: Channel, names: TopologyNames): Promise<void> {
  await channel.assertExchange(names.exchange, 'topic', { durable: true });
  await channel.assertExchange(names.deadLetterExchange, 'direct', { durable: true });
}

/** Arguments that make a quorum queue's own dead-lettering at-least-once (RabbitMQ 3.10+). */
const SAFE_DEAD_LETTERING = { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' };

/**
 * Declares a consumer's queues (idempotent; a queue declared earlier with other arguments makes the
 * broker close the channel with PRECONDITION_FAILED):
 * - the work queue, bound to the events exchange by each routing key; messages the broker itself
 *   gives up on (quorum `x-delivery-limit`, e.g. a handler that crashes the process every time) are
 *   dead-lettered to `<queue>.dlq` through the dead-letter exchange;
 * - one delay queue per retry: messages wait there for its TTL, then are dead-lettered back to the
 *   work queue through the default exchange;
 * - the dead-letter queue, bound to the dead-letter exchange by the work queue's name.
 */
export async function declareConsumerTopology(
  channel: Channel,
  names: TopologyNames,
  topology: ConsumerTopology,
  options: { queueType: QueueType; deliveryLimit: number },
): Promise<void> {
  const quorum = options.queueType === 'quorum';
  const typeArgs = quorum ? { 'x-queue-type': 'quorum', ...SAFE_DEAD_LETTERING } : {};
  await channel.assertQueue(topology.deadLetterQueue, {
    durable: true,
    arguments: quorum ? { 'x-queue-type': 'quorum' } : {},
  });
  await channel.bindQueue(topology.deadLetterQueue, names.deadLetterExchange, topology.queue);
  await channel.assertQueue(topology.queue, {
    durable: true,
    arguments: {
      ...typeArgs,
      'x-dead-letter-exchange': names.deadLetterExchange,
      'x-dead-letter-routing-key': topology.queue,
      ...(quorum ? { 'x-delivery-limit': options.deliveryLimit } : {}),
    },
  });
  for (const routingKey of topology.routingKeys) {
    await channel.bindQueue(topology.queue, names.exchange, routingKey);
  }
  for (const retry of topology.retryQueues) {
    await channel.assertQueue(retry.name, {
      durable: true,
      arguments: {
        ...typeArgs,
        'x-message-ttl': retry.delayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': topology.queue,
      },
    });
  }
}
