import { setTimeout as sleep } from 'node:timers/promises';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { getRequestId, REQUEST_ID_HEADER } from '../context/request-context.js';
import { isDomainError } from '../errors/domain-error.js';
import { newId } from '../ids/uuid.js';
import type { Logger } from '../logging/logger.js';
import type { AmqpConnection } from './amqp-connection.js';
import { isChannelGone, publishConfirmed, trackReturns } from './confirmed-publish.js';
import { ENVELOPE_VERSION, type EventEnvelope, type EventValidator } from './event-envelope.js';
import { messagingErrors } from './messaging-errors.js';
import type { MessagingMetrics } from './messaging-metrics.js';
import type { TopologyNames } from './topology.js';

/** Header carrying the delivery attempt (1 for the first delivery). */
export const ATTEMPT_HEADER = 'x-attempt';

/** Adds trace headers (`traceparent`, `tracestate`) of the current span to an outgoing message. */
export type InjectTraceHeaders = (headers: Record<string, unknown>) => void;

/** Options of one publish. */
export interface PublishOptions {
  /** The user on whose behalf the event happened (envelope `user_id`). */
  userId?: string;
  /**
   * The envelope's `event_id` (a UUID), when the producer derives it from what happened (e.g. a job's
   * outcome): an announcement repeated after a crash then carries the same id, and idempotent consumers
   * take it once. A new UUID v7 otherwise.
   */
  eventId?: string;
}

/** Options of {@link createPublisher}. */
export interface PublisherOptions {
  connection: AmqpConnection;
  names: TopologyNames;
  validator: EventValidator;
  /** The service name, written as the envelope's `producer`. */
  producer: string;
  logger: Logger;
  metrics: MessagingMetrics;
  /** Bound of one publish, including a wait for a reconnect; 10 s by default. */
  publishTimeoutMs: number;
  injectTraceHeaders?: InjectTraceHeaders;
}

/**
 * An event built now and published later, after the write it reports has committed (a transactional
 * outbox): the envelope and the W3C trace context of the span that built it.
 */
export interface PreparedEvent<D = unknown> {
  envelope: EventEnvelope<D>;
  traceparent?: string;
  tracestate?: string;
}

/** Trace headers to send with a message instead of the current span's. */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

/** Publishes events with publisher confirms. */
export interface Publisher {
  /** The connection setup that opens the publishing channel. */
  setup(connection: ChannelModel): Promise<void>;
  /** Builds, validates and publishes an event; resolves once the broker confirmed it. */
  publish<D>(eventType: string, data: D, options?: PublishOptions): Promise<EventEnvelope<D>>;
  /**
   * Validates and publishes a ready envelope (a re-publish keeps its `event_id`). With `trace`, those
   * headers are sent instead of the current span's.
   */
  publishEnvelope(envelope: EventEnvelope, trace?: TraceHeaders): Promise<void>;
  /** Builds and validates an event without publishing it, with the current span's trace context. */
  prepare<D>(eventType: string, data: D, options?: PublishOptions): PreparedEvent<D>;
}

/**
 * Creates the publisher. Every message is persistent JSON with `message_id = event_id`,
 * `type = event_type`, a timestamp, `x-request-id`, trace headers and `x-attempt: 1`, published
 * `mandatory` to the events exchange (routing key = event type) on a confirm channel. An invalid
 * event is refused before anything is sent; an unroutable one rejects with `MESSAGING.UNROUTABLE`.
 * While the connection is down, a publish waits for the reconnect within `publishTimeoutMs`.
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const { connection, names, validator, logger, metrics } = options;
  let channel: { connection: ChannelModel; channel: ConfirmChannel } | undefined;

  function build<D>(eventType: string, data: D, publishOptions: PublishOptions): EventEnvelope<D> {
    return {
      event_id: publishOptions.eventId ?? newId(),
      event_type: eventType,
      event_version: ENVELOPE_VERSION,
      occurred_at: new Date().toISOString(),
      producer: options.producer,
      request_id: getRequestId() ?? newId(),
      ...(publishOptions.userId === undefined ? {} : { user_id: publishOptions.userId }),
      data,
    };
  }

  function check(envelope: EventEnvelope): void {
    const label = validator.has(envelope.event_type) ? envelope.event_type : 'unknown';
    if (!validator.has(envelope.event_type)) {
      metrics.published.inc({ event_type: label, result: 'invalid' });
      throw messagingErrors.UNKNOWN_EVENT_TYPE({
        detail: `"${envelope.event_type}" is not in the event catalogue`,
      });
    }
    const result = validator.validate(envelope);
    if (!result.ok) {
      metrics.published.inc({ event_type: label, result: 'invalid' });
      throw messagingErrors.INVALID_EVENT({ detail: result.reason, data: { errors: result.errors } });
    }
  }

  async function currentChannel(deadline: number): Promise<ConfirmChannel> {
    for (;;) {
      const live = await connection.waitForConnection(Math.max(1, deadline - Date.now()));
      if (channel && channel.connection === live) return channel.channel;
      // Connected, but the channel of this connection is not open yet (setup still running).
      if (Date.now() >= deadline)
        throw messagingErrors.NOT_CONNECTED({ detail: 'publishing channel not ready' });
      await sleep(20);
    }
  }

  async function send(envelope: EventEnvelope, trace?: TraceHeaders): Promise<void> {
    const deadline = Date.now() + options.publishTimeoutMs;
    const headers: Record<string, unknown> = {
      [REQUEST_ID_HEADER]: envelope.request_id,
      [ATTEMPT_HEADER]: 1,
    };
    if (trace) {
      if (trace.traceparent !== undefined) headers.traceparent = trace.traceparent;
      if (trace.tracestate !== undefined) headers.tracestate = trace.tracestate;
    } else {
      options.injectTraceHeaders?.(headers);
    }
    const content = Buffer.from(JSON.stringify(envelope), 'utf8');
    for (;;) {
      const target = await currentChannel(deadline);
      try {
        await publishConfirmed(
          target,
          names.exchange,
          envelope.event_type,
          content,
          {
            persistent: true,
            contentType: 'application/json',
            contentEncoding: 'utf-8',
            messageId: envelope.event_id,
            type: envelope.event_type,
            appId: envelope.producer,
            timestamp: Math.floor(Date.parse(envelope.occurred_at) / 1000),
            headers,
          },
          Math.max(1, deadline - Date.now()),
        );
        return;
      } catch (error) {
        // The channel went away before the confirm: the message may be lost, publish it again (the
        // consumers are idempotent by event id) as long as the deadline allows.
        if (isChannelGone(error) && Date.now() < deadline) {
          logger.debug({ err: error, event_id: envelope.event_id }, 'publish interrupted; retrying');
          await sleep(20);
          continue;
        }
        throw error;
      }
    }
  }

  async function publishEnvelope(envelope: EventEnvelope, trace?: TraceHeaders): Promise<void> {
    check(envelope);
    try {
      await send(envelope, trace);
      metrics.published.inc({ event_type: envelope.event_type, result: 'ok' });
    } catch (error) {
      const result = isDomainError(error, messagingErrors.UNROUTABLE.definition.code)
        ? 'unroutable'
        : isDomainError(error, messagingErrors.PUBLISH_REJECTED.definition.code)
          ? 'rejected'
          : 'error';
      metrics.published.inc({ event_type: envelope.event_type, result });
      if (isDomainError(error)) throw error;
      throw messagingErrors.NOT_CONNECTED({
        detail: `publish of ${envelope.event_type} failed: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      });
    }
  }

  return {
    async setup(live) {
      const created = await live.createConfirmChannel();
      trackReturns(created);
      created.on('error', (error: Error) => logger.warn({ err: error }, 'amqp publishing channel error'));
      created.on('close', () => {
        if (channel?.channel !== created) return;
        channel = undefined;
        connection.channelLost(live, new Error('publishing channel closed'));
      });
      channel = { connection: live, channel: created };
    },
    async publish(eventType, data, publishOptions = {}) {
      const envelope = build(eventType, data, publishOptions);
      await publishEnvelope(envelope);
      return envelope;
    },
    publishEnvelope,
    prepare(eventType, data, publishOptions = {}) {
      const envelope = build(eventType, data, publishOptions);
      check(envelope);
      const headers: Record<string, unknown> = {};
      options.injectTraceHeaders?.(headers);
      return {
        envelope,
        ...(typeof headers.traceparent === 'string' && { traceparent: headers.traceparent }),
        ...(typeof headers.tracestate === 'string' &&
          headers.tracestate !== '' && { tracestate: headers.tracestate }),
      };
    },
  };
}
