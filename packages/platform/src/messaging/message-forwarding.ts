import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { newId } from '../ids/uuid.js';
import type { Logger } from '../logging/logger.js';
import { publishConfirmed } from './confirmed-publish.js';
import type { DeadLetterReasonKind, MessagingMetrics } from './messaging-metrics.js';
import { ATTEMPT_HEADER } from './publisher.js';
import type { ConsumerTopology, TopologyNames } from './topology.js';

/** Headers written on a dead letter. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-dead-letter-reason',
  reasonKind: 'x-dead-letter-reason-kind',
  at: 'x-dead-lettered-at',
  queue: 'x-original-queue',
  lastError: 'x-last-error',
} as const;

/** Header counting how often a message was deferred (put back without using an attempt). */
export const DEFERRALS_HEADER = 'x-deferrals';

/** Headers the broker adds when it dead-letters; dropped from the copies this module publishes. */
export const BROKER_DEATH_HEADERS = [
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
];

const MAX_REASON_LENGTH = 1000;

function sanitizeHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...(headers ?? {}) };
  for (const name of BROKER_DEATH_HEADERS) delete copy[name];
  return copy;
}

function truncate(text: string): string {
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH)}…` : text;
}

/** A delivery being handled: the message and the channel it came on. */
export interface ForwardedDelivery {
  message: ConsumeMessage;
  channel: ConfirmChannel;
}

/** Options of {@link createForwarder}. */
export interface ForwarderOptions {
  queue: string;
  topology: ConsumerTopology;
  names: TopologyNames;
  logger: Logger;
  metrics: MessagingMetrics;
  publishTimeoutMs: number;
  /** Acknowledges the original once its copy is confirmed. */
  settle(delivery: ForwardedDelivery): void;
}

/** Moves a delivery on: to the next delay queue (retry) or to the dead-letter queue. */
export interface Forwarder {
  /** Publishes a confirmed copy to `<queue>.dlq` with the reason headers, then acks the original. */
  deadLetter(
    delivery: ForwardedDelivery,
    kind: DeadLetterReasonKind,
    reason: string,
    attempt: number,
  ): Promise<void>;
  /** Publishes a confirmed copy with `x-attempt + 1` to the next delay queue (or dead-letters after the last). */
  retryLater(delivery: ForwardedDelivery, reason: string, attempt: number): Promise<void>;
  /**
   * Publishes a confirmed copy with the same `x-attempt` to a delay queue, longer with each deferral
   * (`x-deferrals + 1`), up to the last: the message waits for the infrastructure without using an
   * attempt, and is never dead-lettered for it.
   */
  defer(delivery: ForwardedDelivery, reason: string, attempt: number): Promise<void>;
}

/**
 * Creates the forwarder of one consumer. A copy is always confirmed before the original is acked, so a
 * crash in between duplicates a message (absorbed by idempotency) but never loses one.
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  const { queue, logger, metrics } = options;

  async function copyTo(
    delivery: ForwardedDelivery,
    exchange: string,
    routingKey: string,
    headers: Record<string, unknown>,
  ): Promise<void> {
    const { properties, content } = delivery.message;
    const publish: Options.Publish & { messageId: string } = {
      persistent: true,
      // A message without id (published by a foreign client) gets one, so the dead-letter tools can name it.
      messageId: typeof properties.messageId === 'string' ? properties.messageId : newId(),
      headers,
    };
    if (properties.contentType) publish.contentType = properties.contentType;
    if (properties.contentEncoding) publish.contentEncoding = properties.contentEncoding;
    if (properties.type) publish.type = properties.type;
    if (properties.appId) publish.appId = properties.appId;
    if (properties.timestamp) publish.timestamp = properties.timestamp;
    await publishConfirmed(
      delivery.channel,
      exchange,
      routingKey,
      content,
      publish,
      options.publishTimeoutMs,
    );
  }

  async function deadLetter(
    delivery: ForwardedDelivery,
    kind: DeadLetterReasonKind,
    reason: string,
    attempt: number,
  ): Promise<void> {
    const headers = {
      ...sanitizeHeaders(delivery.message.properties.headers),
      [ATTEMPT_HEADER]: attempt,
      [DEAD_LETTER_HEADERS.reason]: truncate(reason),
      [DEAD_LETTER_HEADERS.reasonKind]: kind,
      [DEAD_LETTER_HEADERS.at]: new Date().toISOString(),
      [DEAD_LETTER_HEADERS.queue]: queue,
    };
    await copyTo(delivery, options.names.deadLetterExchange, queue, headers);
    options.settle(delivery);
    metrics.deadLettered.inc({ queue, reason_kind: kind });
    logger.warn(
      {
        queue,
        event_id: delivery.message.properties.messageId,
        attempt,
        reason_kind: kind,
        reason: truncate(reason),
      },
      'message dead-lettered',
    );
  }

  async function retryLater(delivery: ForwardedDelivery, reason: string, attempt: number): Promise<void> {
    const next = options.topology.retryQueues[attempt - 1];
    if (!next) {
      await deadLetter(delivery, 'retries_exhausted', reason, attempt);
      metrics.consumed.inc({ queue, outcome: 'dead_letter' });
      return;
    }
    const headers = {
      ...sanitizeHeaders(delivery.message.properties.headers),
      [ATTEMPT_HEADER]: attempt + 1,
      [DEAD_LETTER_HEADERS.lastError]: truncate(reason),
    };
    await copyTo(delivery, '', next.name, headers);
    options.settle(delivery);
    metrics.retried.inc({ queue });
    metrics.consumed.inc({ queue, outcome: 'retry' });
    logger.info(
      {
        queue,
        event_id: delivery.message.properties.messageId,
        attempt,
        delay_ms: next.delayMs,
        reason: truncate(reason),
      },
      'message will be retried',
    );
  }

  async function defer(delivery: ForwardedDelivery, reason: string, attempt: number): Promise<void> {
    const { retryQueues } = options.topology;
    const previous = Number(delivery.message.properties.headers?.[DEFERRALS_HEADER]);
    const deferrals = Number.isInteger(previous) && previous > 0 ? previous : 0;
    const next = retryQueues[Math.min(deferrals, retryQueues.length - 1)];
    if (!next) {
      // No delay queue to wait in: an immediate retry would spin, so the message is requeued by the caller.
      throw new Error(`queue ${queue} has no delay queue to defer a message to`);
    }
    const headers = {
      ...sanitizeHeaders(delivery.message.properties.headers),
      [ATTEMPT_HEADER]: attempt,
      [DEFERRALS_HEADER]: deferrals + 1,
      [DEAD_LETTER_HEADERS.lastError]: truncate(reason),
    };
    await copyTo(delivery, '', next.name, headers);
    options.settle(delivery);
    metrics.consumed.inc({ queue, outcome: 'deferred' });
    logger.warn(
      {
        queue,
        event_id: delivery.message.properties.messageId,
        attempt,
        deferrals: deferrals + 1,
        delay_ms: next.delayMs,
        reason: truncate(reason),
      },
      'message deferred: the infrastructure is not available',
    );
  }

  return { deadLetter, retryLater, defer };
}
