import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../src/messaging/event-envelope.js';
import { createMessaging, type Messaging } from '../../src/messaging/messaging.js';
import { createTestVhost, quietLogger, TEST_EVENTS, type TestVhost, waitFor } from './messaging-broker.js';

const LATER = {
  consumer: 'later',
  purpose: 'work',
  routingKeys: ['test.happened'],
  retryDelaysMs: [1000, 5000],
};
const QUEUES = [LATER, { consumer: 'audit', purpose: 'all', routingKeys: ['#'], retryDelaysMs: [1000] }];

let vhost: TestVhost;
const started: Messaging[] = [];

function messagingFor(service: string): Messaging {
  const messaging = createMessaging({
    url: vhost.url,
    service,
    events: TEST_EVENTS,
    logger: quietLogger,
    registry: new Registry(),
    queues: QUEUES,
    onFatal: (error) => {
      throw error;
    },
  });
  started.push(messaging);
  return messaging;
}

beforeAll(async () => {
  vhost = await createTestVhost('declared');
});

afterAll(async () => {
  for (const messaging of started) await messaging.close();
  await vhost?.remove();
});

describe('queues declared by every service at connect', () => {
  it('keeps an event published before its consumer ever ran, and hands it over when the consumer starts', async () => {
    const publisher = messagingFor('publisher');
    await publisher.start();
    expect(await vhost.ready('q.later.work')).toBe(0);
    expect(await vhost.ready('q.later.work.retry.5s')).toBe(0);
    expect(await vhost.ready('q.later.work.dlq')).toBe(0);

    const sent = await publisher.publish('test.happened', { n: 7 });
    await waitFor('the event to wait in both queues', async () => {
      return (await vhost.ready('q.later.work')) === 1 && (await vhost.ready('q.audit.all')) === 1;
    });

    const consumer = messagingFor('consumer');
    await consumer.start();
    const received: EventEnvelope[] = [];
    await consumer.consume({
      ...LATER,
      handler: async (envelope) => {
        received.push(envelope);
        return { action: 'ack' };
      },
    });
    await waitFor('the waiting event to be consumed', () => received.length === 1);
    expect(received[0]?.event_id).toBe(sent.event_id);
    expect(received[0]?.data).toEqual({ n: 7 });
  });

  it('declares the same arguments as consume, so both agree on the queue', async () => {
    const queue = await vhost.queue('q.later.work');
    expect(queue?.type).toBe('quorum');
    expect(queue?.arguments['x-dead-letter-exchange']).toBe('events.dlx');
    const retry = await vhost.queue('q.later.work.retry.1s');
    expect(retry?.arguments['x-message-ttl']).toBe(1000);
  });
});
