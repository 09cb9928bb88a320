import type { TSchema } from 'typebox';
import { EVENT_SCHEMAS } from './catalog.v1.js';
import { EVENT_VERSION, eventEnvelopeSchema } from './envelope.v1.js';

/** Options of {@link buildAsyncApiDocument}. */
export interface AsyncApiOptions {
  /** Document version (`info.version`); defaults to `1.0.0`. */
  version?: string;
  /** Broker host and port shown as the server; defaults to `localhost:5672`. */
  host?: string;
  /** Topic exchange the events are published to; `events` by default. */
  exchange?: string;
  /** The event catalogue to describe; {@link EVENT_SCHEMAS} by default. */
  events?: Readonly<Record<string, TSchema>>;
}

/** Headers every message carries (AMQP application headers). */
const MESSAGE_HEADERS = {
  type: 'object',
  properties: {
    'x-request-id': { type: 'string', maxLength: 128, description: 'Correlation id (same as `request_id`).' },
    'x-attempt': { type: 'integer', minimum: 1, description: 'Delivery attempt, 1 for the first one.' },
    traceparent: { type: 'string', description: 'W3C trace context.' },
    tracestate: { type: 'string', description: 'W3C trace state.' },
  },
  required: ['x-request-id', 'x-attempt'],
};

/** A plain JSON copy of a TypeBox schema (drops TypeBox's non-JSON markers). */
function toJson(schema: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

function messageName(type: string): string {
  return type
    .split(/[._]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * Builds the AsyncAPI 3.0 document of the event catalogue: one channel per event type (its routing
 * key on the `events` topic exchange), one message per event (the full envelope as payload, the
 * AMQP headers and properties), and a `send` operation for each.
 */
export function buildAsyncApiDocument(options: AsyncApiOptions = {}): Record<string, unknown> {
  const events = options.events ?? EVENT_SCHEMAS;
  const exchange = options.exchange ?? 'events';
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const [type, data] of Object.entries(events)) {
    const name = messageName(type);
    const description = (data as { description?: string }).description;
    messages[name] = {
      name,
      title: type,
      ...(description ? { summary: description } : {}),
      contentType: 'application/json',
      headers: MESSAGE_HEADERS,
      payload: toJson(eventEnvelopeSchema(type, data)),
      correlationId: { location: '$message.header#/x-request-id' },
      bindings: {
        amqp: { bindingVersion: '0.3.0', messageType: type },
      },
    };
    channels[type] = {
      address: type,
      messages: { [name]: { $ref: `#/components/messages/${name}` } },
      bindings: {
        amqp: {
          bindingVersion: '0.3.0',
          is: 'routingKey',
          exchange: { name: exchange, type: 'topic', durable: true, autoDelete: false, vhost: '/' },
        },
      },
    };
    operations[`publish${name}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${type}` },
      messages: [{ $ref: `#/channels/${type}/messages/${name}` }],
      bindings: { amqp: { bindingVersion: '0.3.0', deliveryMode: 2, mandatory: true } },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Flotilla events',
      version: options.version ?? '1.0.0',
      description:
        `Domain events on the \`${exchange}\` topic exchange (routing key = event type), envelope version ` +
        `${EVENT_VERSION}. Publishers use confirms and \`mandatory\`; consumers ack after the effect is ` +
        'durable, retry through delay queues and dead-letter to `<queue>.dlq`.',
    },
    defaultContentType: 'application/json',
    servers: {
      rabbitmq: { host: options.host ?? 'localhost:5672', protocol: 'amqp', protocolVersion: '0.9.1' },
    },
    channels,
    operations,
    components: { messages },
  };
}
