import type { OutboxEvent } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import { type Channel, type ChannelModel, type ConsumeMessage, connect } from 'amqplib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestVhost,
  type TestVhost,
  waitFor,
} from '../../../../packages/platform/test/component/messaging-broker.js';
import { userBody } from '../helpers/fixtures.js';
import { createTestService, type TestService } from '../helpers/test-service.js';

/**
 * The order of the outbox relay: a user's events (the envelope's `user_id`) reach the broker in the order
 * they were stored, whether they are claimed together, one of them cannot be published yet, or another
 * replica's relay holds one; other users' events are not held up by them.
 */

function registeredEvent(userId: string): OutboxEvent {
  const eventId = newId();
  return {
    envelope: {
      event_id: eventId,
      event_type: 'user.registered',
      event_version: 1,
      occurred_at: new Date().toISOString(),
      producer: 'api',
      request_id: `req-${eventId}`,
      user_id: userId,
      data: { user_id: userId, username: 'someone', role: 'user' },
    },
  };
}

let service: TestService;
let vhost: TestVhost;
let observer: ChannelModel;
let channel: Channel;
const received: ConsumeMessage[] = [];

const bodiesOf = (eventId: string) => received.filter((message) => message.properties.messageId === eventId);

beforeAll(async () => {
  vhost = await createTestVhost('outbox-order');
  observer = await connect(vhost.url);
  observer.on('error', () => undefined);
  channel = await observer.createChannel();
  await channel.assertExchange('events', 'topic', { durable: true });
  await channel.assertQueue('test.observer', { durable: true });
  await channel.bindQueue('test.observer', 'events', '#');
  await channel.consume('test.observer', (message) => message && received.push(message), { noAck: true });
  service = await createTestService({ RABBITMQ_URL: vhost.url, OUTBOX_POLL_MS: '200' });
  service.deps.outbox.start();
}, 60_000);

afterAll(async () => {
  await service?.close();
  await observer?.close().catch(() => undefined);
  await vhost?.remove();
});

describe("the outbox relay's order", () => {
  it("publishes a batch of many users' events at once, each user's in the order they were stored", async () => {
    const users = Array.from({ length: 10 }, () => newId());
    const stored: OutboxEvent[] = [];
    for (let version = 1; version <= 4; version += 1) {
      for (const userId of users) {
        const event = registeredEvent(userId);
        stored.push(
          version === 1
            ? event
            : {
                envelope: {
                  ...event.envelope,
                  event_type: 'user.updated',
                  data: { user_id: userId, version, changed: ['display_name'], status: 'active' },
                },
              },
        );
      }
    }
    // One transaction, one wake-up: the relay claims them together.
    await service.deps.database.db
      .transaction()
      .execute((trx) => service.deps.outbox.repository.store(trx, stored));
    await waitFor('every event on the broker', () =>
      stored.every((event) => bodiesOf(event.envelope.event_id).length > 0),
    );
    for (const userId of users) {
      const versions = received
        .map(
          (message) =>
            JSON.parse(message.content.toString()) as { user_id?: string; data: { version?: number } },
        )
        .filter((envelope) => envelope.user_id === userId)
        .map((envelope) => envelope.data.version ?? 1);
      expect(versions, `events of ${userId}`).toEqual([1, 2, 3, 4]);
    }
    // An event about no user in particular goes on its own.
    const { user_id: _none, ...anonymous } = registeredEvent(newId()).envelope;
    await service.deps.database.db
      .transaction()
      .execute((trx) => service.deps.outbox.repository.store(trx, [{ envelope: anonymous }]));
    await waitFor('the event without a user on the broker', () => bodiesOf(anonymous.event_id).length > 0);
  });

  it("publishes a user's events in the order they were stored: one that cannot be published yet holds back the user's later ones, not other users'", async () => {
    // While no queue is bound for telegram.linked, it is unroutable (a mandatory publish comes back). The
    // relay declared the system's queues before it published the first test's events.
    const analytics = 'q.worker.analytics';
    await channel.unbindQueue(analytics, 'events', '#');
    await channel.unbindQueue('test.observer', 'events', '#');
    await channel.bindQueue('test.observer', 'events', 'user.*');
    try {
      const user = await service.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: service.auth,
        payload: userBody(),
      });
      const userId = user.json().id as string;
      const linked: OutboxEvent = {
        envelope: {
          ...registeredEvent(userId).envelope,
          event_type: 'telegram.linked',
          data: { user_id: userId, telegram_id: 4_200_000_001 },
        },
      };
      const updated: OutboxEvent = {
        envelope: {
          ...registeredEvent(userId).envelope,
          event_type: 'user.updated',
          data: { user_id: userId, version: 3, changed: ['display_name'], status: 'active' },
        },
      };
      for (const [name, event] of [
        ['Linked', linked],
        ['Renamed', updated],
      ] as const) {
        const patched = await service.app.inject({
          method: 'PATCH',
          url: `/api/v1/users/${userId}`,
          headers: service.auth,
          payload: { display_name: name, events: [event] },
        });
        expect(patched.statusCode).toBe(200);
      }
      // Another user's event is not held back by this one's.
      const otherId = newId();
      const other = registeredEvent(otherId);
      await service.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: service.auth,
        payload: { ...userBody(), id: otherId, events: [other] },
      });
      await waitFor(
        "the other user's event on the broker",
        () => bodiesOf(other.envelope.event_id).length > 0,
      );
      await waitFor('telegram.linked refused once', async () => {
        const row = await service.deps.database.db
          .selectFrom('outbox')
          .select(['attempts', 'sentAt'])
          .where('eventId', '=', linked.envelope.event_id)
          .executeTakeFirst();
        return (row?.attempts ?? 0) >= 1 && row?.sentAt === null;
      });
      expect(bodiesOf(updated.envelope.event_id)).toHaveLength(0);

      // A queue is bound for it now: the relay's next attempt publishes it, then the update behind it.
      await channel.bindQueue('test.observer', 'events', 'telegram.linked');
      await waitFor(
        'both events on the broker',
        () => bodiesOf(updated.envelope.event_id).length > 0,
        20_000,
      );
      const order = received
        .map((message) => message.properties.messageId as string)
        .filter((id) => id === linked.envelope.event_id || id === updated.envelope.event_id);
      expect(order[0]).toBe(linked.envelope.event_id);
      expect(order.indexOf(updated.envelope.event_id)).toBeGreaterThan(0);
    } finally {
      await channel.unbindQueue('test.observer', 'events', 'telegram.linked').catch(() => undefined);
      await channel.unbindQueue('test.observer', 'events', 'user.*').catch(() => undefined);
      await channel.bindQueue('test.observer', 'events', '#');
      await channel.bindQueue(analytics, 'events', '#');
    }
  }, 40_000);

  it("holds back a user's later events while another relay holds an earlier one, and publishes both in order once it is free", async () => {
    const db = service.deps.database.db;
    const userId = newId();
    const first = registeredEvent(userId);
    const second: OutboxEvent = {
      envelope: {
        ...registeredEvent(userId).envelope,
        event_type: 'user.updated',
        data: { user_id: userId, version: 2, changed: ['display_name'], status: 'active' },
      },
    };
    // The first is stored not yet due, so no relay takes it before it is locked below.
    await db.transaction().execute(async (trx) => {
      await service.deps.outbox.repository.store(trx, [first, second]);
      await trx
        .updateTable('outbox')
        .set({ nextAttemptAt: sql<Date>`now() + interval '1 hour'` })
        .where('eventId', '=', first.envelope.event_id)
        .execute();
    });
    // Another relay's claim, as its row lock: FOR KEY SHARE makes this relay's FOR UPDATE SKIP LOCKED
    // skip the row, yet lets the row be made due.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = db.transaction().execute(async (trx) => {
      await sql`SELECT 1 FROM outbox WHERE event_id = ${first.envelope.event_id} FOR KEY SHARE`.execute(trx);
      locked();
      await released;
    });
    try {
      await lockTaken;
      await db
        .updateTable('outbox')
        .set({ nextAttemptAt: sql<Date>`now()` })
        .where('eventId', '=', first.envelope.event_id)
        .execute();
      // Several of the relay's looks (every 200 ms here, and on every wake-up) go by; another user's
      // event goes out meanwhile.
      const otherId = newId();
      const other = registeredEvent(otherId);
      await service.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: service.auth,
        payload: { ...userBody(), id: otherId, events: [other] },
      });
      await waitFor(
        "the other user's event on the broker",
        () => bodiesOf(other.envelope.event_id).length > 0,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(bodiesOf(second.envelope.event_id)).toHaveLength(0);
      expect(bodiesOf(first.envelope.event_id)).toHaveLength(0);
    } finally {
      release();
      await holder;
    }
    await waitFor('both events on the broker', () => bodiesOf(second.envelope.event_id).length > 0);
    const order = received
      .map((message) => message.properties.messageId as string)
      .filter((id) => id === first.envelope.event_id || id === second.envelope.event_id);
    expect(order).toEqual([first.envelope.event_id, second.envelope.event_id]);
  });
});
