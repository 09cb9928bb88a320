import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetters,
  showDeadLetter,
} from '../../src/messaging/dead-letters.js';
import type { EventEnvelope } from '../../src/messaging/event-envelope.js';
import { createMessaging, type Messaging } from '../../src/messaging/messaging.js';
import { createTestVhost, quietLogger, TEST_EVENTS, type TestVhost, waitFor } from './messaging-broker.js';

let vhost: TestVhost;
let messaging: Messaging;
const queue = 'q.test.tools';
// While `rejecting` is true the handler dead-letters everything; the replayed copies are then accepted.
let rejecting = true;
const accepted: Array<{ n: number; attempt: number }> = [];

beforeAll(async () => {
  vhost = await createTestVhost('dlq');
  messaging = createMessaging({
    url: vhost.url,
    service: 'tester',
    events: TEST_EVENTS,
    logger: quietLogger,
    registry: new Registry(),
    onFatal: (error) => {
      throw error;
    },
  });
  await messaging.start();
  await messaging.consume({
    consumer: 'test',
    purpose: 'tools',
    routingKeys: ['test.happened'],
    retryDelaysMs: [50],
    handler: async (envelope: EventEnvelope<{ n: number }>, delivery) => {
      if (rejecting) return { action: 'dead-letter', reason: `rejected n=${envelope.data.n}` };
      accepted.push({ n: envelope.data.n, attempt: delivery.attempt });
      return { action: 'ack' };
    },
  });
});

afterAll(async () => {
  await messaging?.close();
  await vhost?.remove();
});

function connection() {
  const live = messaging.connection();
  if (!live) throw new Error('not connected');
  return live;
}

describe('dead-letter tools', () => {
  it('list, show, replay selected or all, and purge', async () => {
    const envelopes: EventEnvelope[] = [];
    for (let n = 0; n < 5; n++) envelopes.push(await messaging.publish('test.happened', { n }));
    await waitFor('five dead letters', async () => (await vhost.ready(`${queue}.dlq`)) === 5);

    // Listing takes nothing away.
    const firstTwo = await listDeadLetters(connection(), queue, 2);
    expect(firstTwo).toHaveLength(2);
    const all = await listDeadLetters(connection(), queue, 50);
    expect(all.map((letter) => letter.messageId).sort()).toEqual(envelopes.map((e) => e.event_id).sort());
    expect(
      all.every((letter) => letter.reasonKind === 'rejected' && letter.eventType === 'test.happened'),
    ).toBe(true);
    await waitFor('five dead letters still', async () => (await vhost.ready(`${queue}.dlq`)) === 5);

    const target = envelopes[3] as EventEnvelope;
    const shown = await showDeadLetter(connection(), `${queue}.dlq`, target.event_id);
    expect(shown?.reason).toBe('rejected n=3');
    expect((shown?.body as EventEnvelope | undefined)?.data).toEqual({ n: 3 });
    expect(await showDeadLetter(connection(), queue, '00000000-0000-7000-8000-000000000000')).toBeUndefined();

    rejecting = false;
    const selected = await replayDeadLetters(connection(), queue, {
      ids: [target.event_id, '00000000-0000-7000-8000-000000000000'],
    });
    expect(selected).toEqual({ replayed: 1, missing: ['00000000-0000-7000-8000-000000000000'] });
    await waitFor('the replayed message', () => accepted.length === 1);
    expect(accepted[0]).toEqual({ n: 3, attempt: 1 });
    // Messages a tool looked at go back to the queue (a quorum queue applies the returns a moment later).
    await waitFor('four dead letters left', async () => (await vhost.ready(`${queue}.dlq`)) === 4);

    const rest = await replayDeadLetters(connection(), queue, { limit: 2 });
    expect(rest.replayed).toBe(2);
    await waitFor('two more', () => accepted.length === 3);
    await waitFor('two dead letters left', async () => (await vhost.ready(`${queue}.dlq`)) === 2);

    expect(await purgeDeadLetters(connection(), queue)).toBe(2);
    expect(await vhost.ready(`${queue}.dlq`)).toBe(0);
    expect(await listDeadLetters(connection(), queue)).toEqual([]);
  });

  it('a tool run right after another sees every dead letter: the messages one looked at are ready again when it returns', async () => {
    rejecting = true;
    for (let n = 10; n < 13; n++) await messaging.publish('test.happened', { n });
    await waitFor('three dead letters', async () => (await vhost.ready(`${queue}.dlq`)) === 3);
    const seen: number[] = [];
    for (let run = 0; run < 20; run++) seen.push((await listDeadLetters(connection(), queue, 50)).length);
    expect(seen).toEqual(Array.from({ length: 20 }, () => 3));
    expect(await purgeDeadLetters(connection(), queue)).toBe(3);
  });
});
