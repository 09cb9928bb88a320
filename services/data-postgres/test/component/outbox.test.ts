import { randomBytes } from 'node:crypto';
import type { OutboxEvent } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import { type Channel, type ChannelModel, type ConsumeMessage, connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestVhost,
  metricValue,
  type TestVhost,
  waitFor,
} from '../../../../packages/platform/test/component/messaging-broker.js';
import { userBody } from '../helpers/fixtures.js';
import { createTestService, type TestService } from '../helpers/test-service.js';

const TRACEPARENT = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;

function registered(userId: string, eventId = newId()): OutboxEvent {
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
    traceparent: TRACEPARENT,
  };
}

/** The management API of the shared broker: this test takes its vhost away and gives it back. */
async function management(method: string, path: string, body?: unknown): Promise<Response> {
  const base = new URL(process.env.RABBITMQ_MANAGEMENT_URL as string);
  const authorization = `Basic ${Buffer.from(
    `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`,
  ).toString('base64')}`;
  return fetch(`${base.protocol}//${base.host}/api${path}`, {
    method,
    headers: { authorization, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

let service: TestService;
let vhost: TestVhost;
let observer: ChannelModel;
let channel: Channel;
const received: ConsumeMessage[] = [];

async function outboxRows(): Promise<Array<{ eventId: string; sentAt: Date | null }>> {
  return service.deps.database.db
    .selectFrom('outbox')
    .select(['eventId', 'sentAt'])
    .orderBy('createdAt')
    .execute();
}

const bodiesOf = (eventId: string) => received.filter((message) => message.properties.messageId === eventId);

/** A durable queue bound to every event, declared before the relay publishes anything, and consumed. */
async function observe(): Promise<void> {
  observer = await connect(vhost.url);
  observer.on('error', () => undefined);
  channel = await observer.createChannel();
  await channel.assertExchange('events', 'topic', { durable: true });
  await channel.assertQueue('test.observer', { durable: true });
  await channel.bindQueue('test.observer', 'events', '#');
  await channel.consume('test.observer', (message) => message && received.push(message), { noAck: true });
}

beforeAll(async () => {
  vhost = await createTestVhost('outbox');
  await observe();
  service = await createTestService({ RABBITMQ_URL: vhost.url, OUTBOX_POLL_MS: '200' });
  service.deps.outbox.start();
}, 60_000);

afterAll(async () => {
  await service?.close();
  await observer?.close().catch(() => undefined);
  await vhost?.remove();
});

describe('the outbox', () => {
  it('stores a write and its event in one transaction: a refused write stores no event, a write stores exactly one', async () => {
    const first = userBody();
    const id = newId();
    const event = registered(id);
    const created = await service.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: service.auth,
      payload: { ...first, id, events: [event] },
    });
    expect(created.statusCode).toBe(201);

    const refusedEvent = registered(newId());
    const refused = await service.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: service.auth,
      payload: { ...userBody(), email: first.email, events: [refusedEvent] },
    });
    expect(refused.statusCode).toBe(409);

    const ids = (await outboxRows()).map((row) => row.eventId);
    expect(ids.filter((stored) => stored === event.envelope.event_id)).toHaveLength(1);
    expect(ids).not.toContain(refusedEvent.envelope.event_id);
  });

  it('stores an event id once when a write is retried with it', async () => {
    const user = await service.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: service.auth,
      payload: userBody(),
    });
    const userId = user.json().id as string;
    const event: OutboxEvent = {
      envelope: {
        ...registered(userId).envelope,
        event_type: 'user.updated',
        data: { user_id: userId, version: 2, changed: ['display_name'], status: 'active' },
      },
    };
    for (const name of ['First', 'Second']) {
      const patched = await service.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${userId}`,
        headers: service.auth,
        payload: { display_name: name, events: [event] },
      });
      expect(patched.statusCode).toBe(200);
    }
    const ids = (await outboxRows()).map((row) => row.eventId);
    expect(ids.filter((stored) => stored === event.envelope.event_id)).toHaveLength(1);
  });

  it('refuses an event that does not match the catalogue with a 422, and writes nothing', async () => {
    const body = userBody();
    const bad = registered(newId());
    const response = await service.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: service.auth,
      payload: { ...body, events: [{ ...bad, envelope: { ...bad.envelope, data: { user_id: 'nope' } } }] },
    });
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().errors[0].field).toMatch(/^\/body\/events\/0\/envelope\/data/);
    const found = await service.app.inject({
      method: 'GET',
      url: `/api/v1/users/by-email/${encodeURIComponent(body.email)}`,
      headers: service.auth,
    });
    expect(found.statusCode).toBe(404);
  });

  it('publishes each stored event with a confirm, as sent (message id, type, trace context), and marks it sent', async () => {
    const id = newId();
    const event = registered(id);
    await service.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: service.auth,
      payload: { ...userBody(), id, events: [event] },
    });
    await waitFor('the event on the broker', () => bodiesOf(event.envelope.event_id).length > 0);
    const [message] = bodiesOf(event.envelope.event_id);
    expect(message?.properties.type).toBe('user.registered');
    expect(message?.properties.headers?.traceparent).toBe(TRACEPARENT);
    expect(message?.properties.headers?.['x-request-id']).toBe(event.envelope.request_id);
    expect(JSON.parse(message?.content.toString() ?? '{}')).toEqual(event.envelope);
    await waitFor('the row marked sent', async () =>
      (await outboxRows()).some((row) => row.eventId === event.envelope.event_id && row.sentAt !== null),
    );
    const registry = service.deps.runtime.metrics.registry;
    expect(await metricValue(registry, 'outbox_published_total', { result: 'ok' })).toBeGreaterThan(0);
  });

  it('keeps taking writes while the broker is unreachable, and publishes what waited once it is back', async () => {
    const registry = service.deps.runtime.metrics.registry;
    const user = encodeURIComponent(decodeURIComponent(new URL(vhost.url).username));
    const path = `/permissions/${encodeURIComponent(vhost.name)}/${user}`;
    // The broker refuses this vhost to data-postgres: connections are closed (the observer's too; its
    // queue keeps what arrives) and every reconnect fails.
    expect((await management('DELETE', path)).ok).toBe(true);
    for (const name of await vhost.connections()) {
      if (name) await vhost.closeConnection(name).catch(() => undefined);
    }
    const waiting: OutboxEvent[] = [];
    for (let n = 0; n < 5; n += 1) {
      const id = newId();
      const event = registered(id);
      waiting.push(event);
      const response = await service.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: service.auth,
        payload: { ...userBody(), id, events: [event] },
      });
      expect(response.statusCode).toBe(201);
    }
    const ready = await service.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(await metricValue(registry, 'outbox_pending_events', {})).toBeGreaterThanOrEqual(1);

    expect((await management('PUT', path, { configure: '.*', write: '.*', read: '.*' })).ok).toBe(true);
    await observe();
    await waitFor(
      'every waiting event on the broker',
      () => waiting.every((event) => bodiesOf(event.envelope.event_id).length > 0),
      20_000,
    );
    await waitFor(
      'nothing pending',
      async () => (await metricValue(registry, 'outbox_pending_events', {})) === 0,
    );
    for (const event of waiting) expect(bodiesOf(event.envelope.event_id)).toHaveLength(1);
  }, 40_000);
});
