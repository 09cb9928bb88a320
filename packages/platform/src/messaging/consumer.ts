import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { runWithContext } from '../context/request-context.js';
import type { Logger } from '../logging/logger.js';
import type { IdempotencyMarkers } from '../redis/idempotency-markers.js';
import type { AmqpConnection } from './amqp-connection.js';
import { trackReturns } from './confirmed-publish.js';
import type { EventEnvelope, EventValidator } from './event-envelope.js';
import { createForwarder, DEFERRALS_HEADER } from './message-forwarding.js';
import type { MessagingMetrics } from './messaging-metrics.js';
import { ATTEMPT_HEADER } from './publisher.js';
import {
  type ConsumerTopology,
  declareConsumerTopology,
  type QueueType,
  type TopologyNames,
} from './topology.js';

/**
 * What a handler decided: acknowledge, try again later (using an attempt), wait for the
 * infrastructure (`defer`: a data service or the broker is unavailable, which is no fault of the
 * message, so no attempt is used and it is never dead-lettered for it), or give up on the message.
 */
export type HandlerOutcome =
  | { action: 'ack' }
  | { action: 'retry'; reason: string }
  | { action: 'defer'; reason: string }
  | { action: 'dead-letter'; reason: string };

/** Facts about the delivery a handler receives with the event. */
export interface DeliveryInfo {
  /** The work queue. */
  queue: string;
  /** 1 for the first delivery, +1 per retry through a delay queue (a deferral keeps it). */
  attempt: number;
  /** How often the message was deferred so far (waiting for the infrastructure). */
  deferrals: number;
  /** Attempts allowed in all: 1 + the number of retry delays. */
  maxAttempts: number;
  /** The broker delivered it before (a consumer died or was closed before acking). */
  redelivered: boolean;
  /** The message's AMQP headers (`x-request-id`, `traceparent`, ...). */
  headers: Readonly<Record<string, unknown>>;
}

/** A message handler: validated event in, explicit outcome out. A thrown error counts as `retry`. */
export type EventHandler<D = unknown> = (
  envelope: EventEnvelope<D>,
  delivery: DeliveryInfo,
) => Promise<HandlerOutcome>;

/** Runs `fn` inside the trace context carried by `headers` (the tracing module provides it). */
export type WithTraceContext = <T>(
  headers: Readonly<Record<string, unknown>>,
  fn: () => Promise<T>,
) => Promise<T>;

export { BROKER_DEATH_HEADERS, DEAD_LETTER_HEADERS } from './message-forwarding.js';

/** A registered consumer, as the consumer runner needs it. */
export interface ConsumerSpec {
  /** Consumer name used for idempotency markers and logs, e.g. `worker.media`. */
  name: string;
  topology: ConsumerTopology;
  prefetch: number;
  idempotencyTtlSeconds: number;
  markers: IdempotencyMarkers | undefined;
  handler: EventHandler;
}

/** Shared dependencies of consumers. */
export interface ConsumerDeps {
  connection: AmqpConnection;
  names: TopologyNames;
  validator: EventValidator;
  logger: Logger;
  metrics: MessagingMetrics;
  queueType: (connection: ChannelModel) => QueueType;
  deliveryLimit: number;
  publishTimeoutMs: number;
  withTraceContext?: WithTraceContext;
}

interface Delivery {
  message: ConsumeMessage;
  channel: ConfirmChannel;
  settled: boolean;
  done: Promise<void>;
}

/** A running consumer: it resumes on every reconnect until stopped. */
export interface ConsumerRunner {
  readonly queue: string;
  /** The connection setup: declares the topology, opens the channel and starts consuming. */
  setup(connection: ChannelModel): Promise<void>;
  /** Stops receiving new messages (basic.cancel); in-flight deliveries keep running. */
  cancel(): Promise<void>;
  /** Resolves when no delivery is in flight, or after `timeoutMs`; returns the count still running. */
  drain(timeoutMs: number): Promise<number>;
  /** Puts every unfinished delivery back in its queue (nack with requeue) and closes the channel. */
  abandon(): Promise<void>;
}

function readAttempt(headers: Record<string, unknown> | undefined): number {
  const raw = headers?.[ATTEMPT_HEADER];
  const value = typeof raw === 'number' ? raw : Number(raw);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

function readDeferrals(headers: Record<string, unknown> | undefined): number {
  const value = Number(headers?.[DEFERRALS_HEADER]);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

function isOutcome(value: unknown): value is HandlerOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const { action, reason } = value as { action?: unknown; reason?: unknown };
  if (action === 'ack') return true;
  return (action === 'retry' || action === 'defer' || action === 'dead-letter') && typeof reason === 'string';
}

/**
 * Creates the runner of one consumer. For each delivery:
 * 1. the body is parsed and validated against the catalogue; an invalid message goes to `<queue>.dlq`
 *    at once (reason in `x-dead-letter-reason`), never to the handler;
 * 2. a known duplicate (idempotency marker present) is acked without running the handler; deliveries
 *    of one event id in this process run one after the other;
 * 3. the handler runs in the message's request context and returns an outcome;
 * 4. `ack`: the marker is written, then the message is acked. `retry` (or a thrown error): a copy with
 *    `x-attempt + 1` is published (confirmed) to the next delay queue, then the original is acked;
 *    after the last delay queue the message goes to the dead-letter queue instead. `defer`: a copy
 *    with the same `x-attempt` and `x-deferrals + 1` goes to a delay queue (longer with each
 *    deferral, up to the last), then the original is acked. `dead-letter`: it goes to the
 *    dead-letter queue with the handler's reason.
 * A copy is always confirmed before the original is acked, so a crash in between duplicates a
 * message (absorbed by idempotency) but never loses one.
 */
export function createConsumerRunner(spec: ConsumerSpec, deps: ConsumerDeps): ConsumerRunner {
  const { logger, metrics, validator } = deps;
  const { queue } = spec.topology;
  const maxAttempts = spec.topology.retryQueues.length + 1;
  const inFlight = new Set<Delivery>();
  const byEventId = new Map<string, Promise<void>>();
  let active: { channel: ConfirmChannel; consumerTag: string } | undefined;
  let stopped = false;

  function settle(delivery: Delivery, action: 'ack' | 'requeue'): void {
    if (delivery.settled) return;
    delivery.settled = true;
    try {
      if (action === 'ack') delivery.channel.ack(delivery.message);
      else delivery.channel.nack(delivery.message, false, true);
    } catch (error) {
      // The channel is gone: the broker puts the message back in the queue by itself.
      logger.debug({ err: error, queue }, 'could not settle a delivery; the broker will redeliver it');
    }
  }

  const forward = createForwarder({
    queue,
    topology: spec.topology,
    names: deps.names,
    logger,
    metrics,
    publishTimeoutMs: deps.publishTimeoutMs,
    settle: (delivery) => settle(delivery as Delivery, 'ack'),
  });
  const { deadLetter, retryLater, defer } = forward;

  async function runHandler(envelope: EventEnvelope, info: DeliveryInfo): Promise<HandlerOutcome> {
    const call = async (): Promise<HandlerOutcome> => {
      try {
        const outcome = await spec.handler(envelope, info);
        if (isOutcome(outcome)) return outcome;
        return { action: 'retry', reason: `handler returned an invalid outcome: ${JSON.stringify(outcome)}` };
      } catch (error) {
        logger.warn({ err: error, queue, event_id: envelope.event_id }, 'message handler failed');
        return {
          action: 'retry',
          reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        };
      }
    };
    const context = {
      requestId: envelope.request_id,
      ...(envelope.user_id === undefined ? {} : { userId: envelope.user_id }),
    };
    return runWithContext(context, () =>
      deps.withTraceContext ? deps.withTraceContext(info.headers, call) : call(),
    );
  }

  async function seen(eventId: string): Promise<boolean> {
    if (!spec.markers) return false;
    try {
      return await spec.markers.seen(eventId);
    } catch (error) {
      // The marker is only a short-cut: without Redis the (idempotent) handler decides.
      logger.warn({ err: error, queue }, 'idempotency marker unavailable; running the handler');
      return false;
    }
  }

  async function mark(eventId: string): Promise<void> {
    if (!spec.markers) return;
    try {
      await spec.markers.mark(eventId, spec.idempotencyTtlSeconds);
    } catch (error) {
      logger.warn({ err: error, queue, event_id: eventId }, 'could not write the idempotency marker');
    }
  }

  async function handleDelivery(delivery: Delivery): Promise<void> {
    const { message } = delivery;
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    const attempt = readAttempt(headers);
    let parsed: unknown;
    let invalidReason: string | undefined;
    try {
      parsed = JSON.parse(message.content.toString('utf8'));
    } catch {
      invalidReason = 'the body is not JSON';
    }
    if (invalidReason === undefined) {
      const check = validator.validate(parsed);
      if (!check.ok) invalidReason = check.reason;
    }
    if (invalidReason !== undefined) {
      await deadLetter(delivery, 'invalid', invalidReason, attempt);
      metrics.consumed.inc({ queue, outcome: 'invalid' });
      return;
    }
    const envelope = parsed as EventEnvelope;
    if (await seen(envelope.event_id)) {
      settle(delivery, 'ack');
      metrics.consumed.inc({ queue, outcome: 'duplicate' });
      logger.debug({ queue, event_id: envelope.event_id }, 'duplicate message acked without handling');
      return;
    }
    const info: DeliveryInfo = {
      queue,
      attempt,
      deferrals: readDeferrals(headers),
      maxAttempts,
      redelivered: message.fields.redelivered,
      headers,
    };
    const stopTimer = metrics.handlerDuration.startTimer({ queue });
    const outcome = await runHandler(envelope, info);
    stopTimer();
    if (outcome.action === 'ack') {
      // Marked even when the delivery was put back meanwhile (shutdown): the redelivery is then a known duplicate.
      await mark(envelope.event_id);
      settle(delivery, 'ack');
      metrics.consumed.inc({ queue, outcome: 'ack' });
    } else if (delivery.settled) {
      // Put back during shutdown: the broker delivers it again, no copy is needed.
    } else if (outcome.action === 'retry') {
      await retryLater(delivery, outcome.reason, attempt);
    } else if (outcome.action === 'defer') {
      await defer(delivery, outcome.reason, attempt);
    } else {
      await deadLetter(delivery, 'rejected', outcome.reason, attempt);
      metrics.consumed.inc({ queue, outcome: 'dead_letter' });
    }
  }

  /** Deliveries of one event id run one after the other, so the marker of the first one counts. */
  function serialize(delivery: Delivery): Promise<void> {
    const eventId = delivery.message.properties.messageId;
    if (typeof eventId !== 'string') return handleDelivery(delivery);
    const previous = byEventId.get(eventId) ?? Promise.resolve();
    const current = previous.then(() => handleDelivery(delivery));
    const tail = current.catch(() => undefined);
    byEventId.set(eventId, tail);
    void tail.then(() => {
      if (byEventId.get(eventId) === tail) byEventId.delete(eventId);
    });
    return current;
  }

  function onMessage(
    connection: ChannelModel,
    channel: ConfirmChannel,
    message: ConsumeMessage | null,
  ): void {
    if (message === null) {
      // The broker cancelled the consumer (queue deleted): rebuild, which re-declares it.
      if (!stopped && active?.channel === channel) {
        deps.connection.channelLost(connection, new Error(`consumer of ${queue} cancelled by the broker`));
      }
      return;
    }
    const delivery = { message, channel, settled: false } as Delivery;
    delivery.done = serialize(delivery).catch((error: unknown) => {
      // A retry or dead-letter copy could not be published: put the message back.
      logger.error(
        { err: error, queue, event_id: message.properties.messageId },
        'could not settle a message; requeueing',
      );
      settle(delivery, 'requeue');
    });
    inFlight.add(delivery);
    void delivery.done.finally(() => inFlight.delete(delivery));
  }

  return {
    queue,
    async setup(connection) {
      const channel = await connection.createConfirmChannel();
      trackReturns(channel);
      channel.on('error', (error: Error) =>
        logger.warn({ err: error, queue }, 'amqp consumer channel error'),
      );
      try {
        await declareConsumerTopology(channel, deps.names, spec.topology, {
          queueType: deps.queueType(connection),
          deliveryLimit: deps.deliveryLimit,
        });
        await channel.prefetch(spec.prefetch);
        const { consumerTag } = await channel.consume(
          queue,
          (message) => onMessage(connection, channel, message),
          {
            noAck: false,
          },
        );
        active = { channel, consumerTag };
      } catch (error) {
        await channel.close().catch(() => undefined);
        throw error;
      }
      channel.on('close', () => {
        if (stopped || active?.channel !== channel) return;
        active = undefined;
        deps.connection.channelLost(connection, new Error(`consumer channel of ${queue} closed`));
      });
      logger.info({ queue, prefetch: spec.prefetch }, 'consuming');
    },
    async cancel() {
      stopped = true;
      const current = active;
      if (!current) return;
      try {
        await current.channel.cancel(current.consumerTag);
      } catch (error) {
        logger.debug({ err: error, queue }, 'consumer cancel failed (channel already closed)');
      }
    },
    async drain(timeoutMs) {
      if (inFlight.size === 0) return 0;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight].map((delivery) => delivery.done)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      return inFlight.size;
    },
    async abandon() {
      stopped = true;
      for (const delivery of inFlight) settle(delivery, 'requeue');
      const current = active;
      active = undefined;
      if (current) await current.channel.close().catch(() => undefined);
    },
  };
}
