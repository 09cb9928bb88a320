import type { Channel, ChannelModel } from 'amqplib';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { HealthCheck } from '../health/health.js';
import type { Logger } from '../logging/logger.js';
import { createIdempotencyMarkers } from '../redis/idempotency-markers.js';
import { injectTraceHeaders, withMessageTraceContext, withTraceHeaders } from '../tracing/trace-context.js';
import { type AmqpConnection, createAmqpConnection, type ReconnectOptions } from './amqp-connection.js';
import {
  type ConsumerRunner,
  createConsumerRunner,
  type EventHandler,
  type WithTraceContext,
} from './consumer.js';
import { createEventValidator, type EventEnvelope, type EventSchemas } from './event-envelope.js';
import { messagingErrors } from './messaging-errors.js';
import { messagingMetrics } from './messaging-metrics.js';
import {
  createPublisher,
  type InjectTraceHeaders,
  type PreparedEvent,
  type PublishOptions,
  type TraceHeaders,
} from './publisher.js';
import {
  type ConsumerTopology,
  consumerTopology,
  declareConsumerTopology,
  declareExchanges,
  detectQueueType,
  type QueueType,
  resolveTopologyNames,
  workQueueName,
} from './topology.js';

/** Options of {@link createMessaging}. */
export interface MessagingOptions {
  /** `amqp://user:password@host:5672/vhost`. */
  url: string;
  /** The service name: the envelope's `producer` and the connection name. */
  service: string;
  /** The event catalogue (event type -> data schema) every published and consumed event is checked against. */
  events: EventSchemas;
  logger: Logger;
  /** The service's metric registry. */
  registry: Registry;
  /** The process's Redis client, for idempotency markers (without it, only the handlers' own idempotency). */
  redis?: Redis;
  /** Called when reconnecting gave up: shut down and exit non-zero so the supervisor restarts the process. */
  onFatal: (error: Error) => void;
  /** Topic exchange of events; `events` by default. */
  exchange?: string;
  /** Dead-letter exchange; `<exchange>.dlx` by default. */
  deadLetterExchange?: string;
  /** Prefix of every queue name (and idempotency consumer name); empty by default. */
  queuePrefix?: string;
  /** `auto` (quorum when the broker supports it; the default), `quorum` or `classic`. */
  queueType?: 'auto' | QueueType;
  /** Deliveries of one message after which the broker itself dead-letters it (quorum queues); 20 by default. */
  deliveryLimit?: number;
  /** Bound of one publish, including a wait for a reconnect; 10 s by default. */
  publishTimeoutMs?: number;
  /** How long `close()` waits for in-flight handlers before putting their messages back; 10 s by default. */
  drainTimeoutMs?: number;
  reconnect?: ReconnectOptions;
  heartbeatSeconds?: number;
  /** How long a `queue_depth` reading is reused; 5 s by default. */
  queueDepthCacheMs?: number;
  /**
   * Consumer queues of the whole system, declared (with their bindings, delay and dead-letter queues) at
   * every connect, so events published before a consumer first runs wait in its queue.
   */
  queues?: ReadonlyArray<DeclaredQueue>;
  /** Tracing hook: adds `traceparent`/`tracestate` of the current span to outgoing headers (default: OpenTelemetry's propagator). */
  injectTraceHeaders?: InjectTraceHeaders;
  /** Tracing hook: runs a handler inside the trace context of the message's headers (default: a consumer span parented on them). */
  withTraceContext?: WithTraceContext;
}

/** A consumer queue declared by every service of the system (see {@link MessagingOptions.queues}). */
export interface DeclaredQueue {
  consumer: string;
  purpose: string;
  routingKeys: readonly string[];
  retryDelaysMs: readonly number[];
}

/** Options of {@link Messaging.consume}. */
export interface ConsumeOptions<D = unknown> {
  /** Consuming service, e.g. `worker`. */
  consumer: string;
  /** What the queue is for, e.g. `media`: the queue is `q.<consumer>.<purpose>`. */
  purpose: string;
  /** Event types to receive (`*` and `#` wildcards allowed). */
  routingKeys: readonly string[];
  /** Unacknowledged messages at a time (handler concurrency); 10 by default. */
  prefetch?: number;
  /** Delay before each retry; `[1000, 10000, 60000]` by default. Attempts in all = 1 + its length. */
  retryDelaysMs?: readonly number[];
  /** Lifetime of the idempotency marker written after success; 7 days by default. */
  idempotencyTtlSeconds?: number;
  handler: EventHandler<D>;
}

/** A started consumer. */
export interface ConsumerHandle {
  /** The work queue and the queues around it. */
  topology: ConsumerTopology;
}

/** Events in and out of RabbitMQ, for one service. */
export interface Messaging {
  /** Connects and declares the exchanges; rejects when the broker stays unreachable. */
  start(): Promise<void>;
  /** Builds, validates and publishes an event with publisher confirms. */
  publish<D>(eventType: string, data: D, options?: PublishOptions): Promise<EventEnvelope<D>>;
  /**
   * Validates and publishes an existing envelope (a re-publish keeps its `event_id`); with `trace`,
   * those trace headers instead of the current span's (an event relayed from an outbox).
   */
  publishEnvelope(envelope: EventEnvelope, trace?: TraceHeaders): Promise<void>;
  /**
   * Builds and validates an event without publishing it (no connection needed): the envelope and the
   * current span's trace context, to be stored with a write and relayed after it commits.
   */
  prepare<D>(eventType: string, data: D, options?: PublishOptions): PreparedEvent<D>;
  /** Waits (bounded) until connected; rejects with `MESSAGING.NOT_CONNECTED` or `MESSAGING.CLOSED`. */
  waitForConnection(timeoutMs: number): Promise<void>;
  /** True while connected (every setup ran on the live connection). */
  isConnected(): boolean;
  /** Declares a consumer's queues and starts consuming; resumes after every reconnect. */
  consume<D = unknown>(options: ConsumeOptions<D>): Promise<ConsumerHandle>;
  /** Readiness: resolves while connected. */
  check: HealthCheck;
  /** The live connection (for the dead-letter tools), if connected. */
  connection(): ChannelModel | undefined;
  /**
   * Graceful drain: cancels the consumers, waits up to `drainTimeoutMs` for in-flight handlers,
   * puts unfinished messages back (nack + requeue), then closes the channels and the connection.
   */
  close(): Promise<void>;
}

const DEFAULT_RETRY_DELAYS_MS = [1000, 10_000, 60_000];
const WILDCARD = /[*#]/;

/** Creates the messaging module of a service (see DESIGN §3, "Messaging topology"). */
export function createMessaging(options: MessagingOptions): Messaging {
  const { logger } = options;
  const names = resolveTopologyNames({
    ...(options.exchange === undefined ? {} : { exchange: options.exchange }),
    ...(options.deadLetterExchange === undefined ? {} : { deadLetterExchange: options.deadLetterExchange }),
    ...(options.queuePrefix === undefined ? {} : { queuePrefix: options.queuePrefix }),
  });
  const validator = createEventValidator(options.events);
  const metrics = messagingMetrics(options.registry);
  const publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
  const amqp: AmqpConnection = createAmqpConnection({
    url: options.url,
    name: options.service,
    logger,
    onFatal: options.onFatal,
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    ...(options.heartbeatSeconds === undefined ? {} : { heartbeatSeconds: options.heartbeatSeconds }),
  });
  const publisher = createPublisher({
    connection: amqp,
    names,
    validator,
    producer: options.service,
    logger,
    metrics,
    publishTimeoutMs,
    injectTraceHeaders: options.injectTraceHeaders ?? injectTraceHeaders,
  });
  const runners: Array<{ runner: ConsumerRunner; topology: ConsumerTopology }> = [];
  const queueType = (connection: ChannelModel): QueueType =>
    options.queueType === undefined || options.queueType === 'auto'
      ? detectQueueType(connection)
      : options.queueType;
  let closed = false;

  const removeDepthSource = metrics.addDepthSource(
    createDepthReader(amqp, runners, options.queueDepthCacheMs ?? 5000),
  );

  const declaredQueues = (options.queues ?? []).map((queue) =>
    consumerTopology(
      workQueueName(names, queue.consumer, queue.purpose),
      queue.routingKeys,
      queue.retryDelaysMs,
    ),
  );

  async function declare(connection: ChannelModel): Promise<void> {
    const channel = await connection.createChannel();
    channel.on('error', (error: Error) => logger.warn({ err: error }, 'amqp topology channel error'));
    try {
      await declareExchanges(channel, names);
      const queueOptions = { queueType: queueType(connection), deliveryLimit: options.deliveryLimit ?? 20 };
      for (const topology of declaredQueues) {
        await declareConsumerTopology(channel, names, topology, queueOptions);
      }
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  return {
    async start() {
      await amqp.addSetup(declare);
      await amqp.addSetup(publisher.setup);
      await amqp.start();
    },
    publish: (eventType, data, publishOptions) => publisher.publish(eventType, data, publishOptions),
    // A stored trace context becomes the publish's parent, so a publish span (from the amqplib
    // instrumentation) joins the trace of the request that wrote the event instead of starting one.
    publishEnvelope: (envelope, trace) =>
      trace
        ? withTraceHeaders({ ...trace }, () => publisher.publishEnvelope(envelope, trace))
        : publisher.publishEnvelope(envelope),
    prepare: (eventType, data, publishOptions) => publisher.prepare(eventType, data, publishOptions),
    async waitForConnection(timeoutMs) {
      await amqp.waitForConnection(timeoutMs);
    },
    isConnected: () => amqp.isConnected(),
    async consume<D>(consumeOptions: ConsumeOptions<D>) {
      if (closed) throw messagingErrors.CLOSED();
      const queue = workQueueName(names, consumeOptions.consumer, consumeOptions.purpose);
      if (consumeOptions.routingKeys.length === 0)
        throw new Error(`${queue}: at least one routing key is needed`);
      for (const key of consumeOptions.routingKeys) {
        if (!WILDCARD.test(key) && !validator.has(key)) {
          throw new Error(`${queue}: routing key "${key}" is not an event type of the catalogue`);
        }
      }
      if (runners.some((entry) => entry.topology.queue === queue))
        throw new Error(`${queue} is consumed already`);
      const topology = consumerTopology(
        queue,
        consumeOptions.routingKeys,
        consumeOptions.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
      );
      const markerName = `${names.queuePrefix}${consumeOptions.consumer}.${consumeOptions.purpose}`;
      const runner = createConsumerRunner(
        {
          name: markerName,
          topology,
          prefetch: consumeOptions.prefetch ?? 10,
          idempotencyTtlSeconds: consumeOptions.idempotencyTtlSeconds ?? 7 * 24 * 3600,
          markers: options.redis ? createIdempotencyMarkers(options.redis, markerName) : undefined,
          handler: consumeOptions.handler as EventHandler,
        },
        {
          connection: amqp,
          names,
          validator,
          logger,
          metrics,
          queueType,
          deliveryLimit: options.deliveryLimit ?? 20,
          publishTimeoutMs,
          withTraceContext:
            options.withTraceContext ?? ((headers, fn) => withMessageTraceContext(queue, headers, fn)),
        },
      );
      await amqp.waitForConnection(publishTimeoutMs);
      try {
        await amqp.addSetup(runner.setup);
      } catch (error) {
        amqp.removeSetup(runner.setup);
        throw error;
      }
      runners.push({ runner, topology });
      return { topology };
    },
    async check() {
      if (!amqp.isConnected()) throw messagingErrors.NOT_CONNECTED();
    },
    connection: () => amqp.current(),
    async close() {
      if (closed) return;
      closed = true;
      for (const { runner } of runners) amqp.removeSetup(runner.setup);
      await Promise.all(runners.map(({ runner }) => runner.cancel()));
      const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
      const unfinished = await Promise.all(runners.map(({ runner }) => runner.drain(drainTimeoutMs)));
      const requeued = unfinished.reduce((sum, count) => sum + count, 0);
      if (requeued > 0)
        logger.warn({ requeued }, 'handlers still running at the drain deadline; messages requeued');
      await Promise.all(runners.map(({ runner }) => runner.abandon()));
      removeDepthSource();
      await amqp.close();
    },
  };
}

/** Reads the depth of every queue of the consumers with `checkQueue`, bounded in time and cached. */
function createDepthReader(
  amqp: AmqpConnection,
  runners: ReadonlyArray<{ topology: ConsumerTopology }>,
  cacheMs: number,
) {
  type Reading = readonly [queue: string, messages: number, consumers?: number];
  let cached: { at: number; values: Reading[] } | undefined;
  let inspector: { connection: ChannelModel; channel: Channel } | undefined;

  async function channelFor(connection: ChannelModel): Promise<Channel> {
    if (inspector?.connection === connection) return inspector.channel;
    const channel = await connection.createChannel();
    channel.on('error', () => undefined); // a missing queue closes it; the next reading opens another
    channel.on('close', () => {
      if (inspector?.channel === channel) inspector = undefined;
    });
    inspector = { connection, channel };
    return channel;
  }

  async function read(): Promise<Reading[]> {
    const connection = amqp.current();
    if (!connection) return [];
    const channel = await channelFor(connection);
    const values: Reading[] = [];
    for (const { topology } of runners) {
      const work = await channel.checkQueue(topology.queue);
      values.push([topology.queue, work.messageCount, work.consumerCount] as const);
      for (const queue of [...topology.retryQueues.map((retry) => retry.name), topology.deadLetterQueue]) {
        const { messageCount } = await channel.checkQueue(queue);
        values.push([queue, messageCount] as const);
      }
    }
    return values;
  }

  return async (): Promise<ReadonlyArray<Reading>> => {
    if (cached && Date.now() - cached.at < cacheMs) return cached.values;
    let timer: NodeJS.Timeout | undefined;
    try {
      const values = await Promise.race([
        read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('queue depth reading timed out')), 1000);
        }),
      ]);
      cached = { at: Date.now(), values };
      return values;
    } finally {
      clearTimeout(timer);
    }
  };
}
