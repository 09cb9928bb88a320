import type { ConfirmChannel, Message, Options } from 'amqplib';
import { messagingErrors } from './messaging-errors.js';

interface PendingPublish {
  messageId: string;
  exchange: string;
  routingKey: string;
  returned: boolean;
}

const pendingByChannel = new WeakMap<ConfirmChannel, Set<PendingPublish>>();

/**
 * Makes `channel` report unroutable messages: RabbitMQ sends `basic.return` for an unroutable
 * `mandatory` message before its confirm, so the confirm callback of {@link publishConfirmed} knows
 * the message went nowhere. Call once per channel, before publishing.
 */
export function trackReturns(channel: ConfirmChannel): void {
  const pending = new Set<PendingPublish>();
  pendingByChannel.set(channel, pending);
  channel.on('return', (message: Message) => {
    for (const entry of pending) {
      if (
        !entry.returned &&
        entry.messageId === message.properties.messageId &&
        entry.exchange === message.fields.exchange &&
        entry.routingKey === message.fields.routingKey
      ) {
        entry.returned = true;
        return;
      }
    }
  });
}

/**
 * Publishes one message with `mandatory` on a confirm channel and resolves once the broker confirmed
 * it. Rejects with `MESSAGING.UNROUTABLE` when it was returned (no queue bound), with
 * `MESSAGING.PUBLISH_REJECTED` when the broker nacked it, and with the channel's error when the
 * channel closed first (the message may or may not have been stored: publish again, consumers are
 * idempotent). `options.messageId` is required, it pairs a return with its publish.
 */
export function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish & { messageId: string },
  timeoutMs: number,
): Promise<void> {
  const pending = pendingByChannel.get(channel);
  if (!pending) throw new Error('publishConfirmed needs a channel prepared with trackReturns');
  const entry: PendingPublish = { messageId: options.messageId, exchange, routingKey, returned: false };
  pending.add(entry);
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(entry);
      reject(
        messagingErrors.PUBLISH_REJECTED({ detail: `no confirm from the broker within ${timeoutMs} ms` }),
      );
    }, timeoutMs);
    const settle = (error: Error | undefined) => {
      clearTimeout(timer);
      const wasPending = pending.delete(entry);
      if (!wasPending) return; // timed out already
      if (error) reject(error);
      else if (entry.returned) {
        reject(
          messagingErrors.UNROUTABLE({
            detail: `no queue is bound to exchange "${exchange || '(default)'}" for routing key "${routingKey}"`,
          }),
        );
      } else resolve();
    };
    try {
      channel.publish(exchange, routingKey, content, { ...options, mandatory: true }, (error: unknown) => {
        if (!error) settle(undefined);
        else if (error instanceof Error && error.message === 'message nacked') {
          settle(messagingErrors.PUBLISH_REJECTED({ detail: 'the broker nacked the message', cause: error }));
        } else settle(error instanceof Error ? error : new Error(String(error)));
      });
    } catch (error) {
      // amqplib throws synchronously when the channel is already closed.
      settle(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/** True for the errors of a channel or connection that went away (publish again after reconnect). */
export function isChannelGone(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'IllegalOperationError' ||
    /(channel|connection) (closed|closing|ended)/i.test(error.message)
  );
}
