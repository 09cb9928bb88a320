import { randomBytes } from 'node:crypto';
import { newId } from '@flotilla/platform';
import { type ChannelModel, connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness, type TestUser } from '../support/api-harness.js';
import { COVERED_ROUTES } from '../support/covered-routes.js';
import { expectRoutesHit } from '../support/route-coverage.js';

let harness: ApiHarness;
let admin: TestUser;
let user: TestUser;

beforeAll(async () => {
  harness = await startApiHarness({ label: 'api-admin' });
  admin = await harness.asAdmin();
  user = await harness.registerAndLogin();
}, 90_000);

afterAll(async () => {
  expectRoutesHit(harness.hits, COVERED_ROUTES['admin.test.ts']);
  await harness?.stop();
}, 30_000);

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, as?: TestUser, payload?: object) =>
  harness.inject({
    method,
    url: `/api/v1${url}`,
    ...(as && { headers: as.headers }),
    ...(payload && { payload }),
  });

describe('admin user management', () => {
  it('lists users for an admin, with filters and cursor pagination', async () => {
    const first = await call('GET', '/admin/users?limit=1', admin);
    expect(first.statusCode).toBe(200);
    const page = first.json();
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).not.toHaveProperty('password_hash');
    const second = await call('GET', `/admin/users?limit=1&cursor=${page.next_cursor}`, admin);
    expect(second.json().items[0].id).not.toBe(page.items[0].id);
    const admins = await call('GET', '/admin/users?role=admin', admin);
    expect(admins.json().items.every((u: { role: string }) => u.role === 'admin')).toBe(true);
  });

  it('answers 422 for a bad query (limit above 200, unknown filter, unreadable cursor)', async () => {
    expect((await call('GET', '/admin/users?limit=500', admin)).statusCode).toBe(422);
    expect((await call('GET', '/admin/users?password=x', admin)).statusCode).toBe(422);
    const cursor = await call('GET', '/admin/users?cursor=bm90LWEtY3Vyc29y', admin);
    expect(cursor.statusCode).toBe(422);
    expect(cursor.json().errors[0].field).toBe('/query/cursor');
  });

  it('refuses every admin route to a plain user (403) and to nobody (401)', async () => {
    const routes: Array<['GET' | 'POST' | 'DELETE', string, object?]> = [
      ['GET', '/admin/users'],
      ['POST', `/admin/users/${user.user.id}/suspend`],
      ['POST', `/admin/users/${user.user.id}/reactivate`],
      ['GET', '/admin/dead-letters/q.worker.media'],
      ['GET', '/admin/dead-letters/q.worker.media/some-id'],
      ['POST', '/admin/dead-letters/q.worker.media/replay', {}],
      ['DELETE', '/admin/dead-letters/q.worker.media'],
    ];
    for (const [method, url, body] of routes) {
      const forbidden = await call(method, url, user, body);
      expect(forbidden.statusCode, `${method} ${url}`).toBe(403);
      expect(forbidden.json().code).toBe('AUTH.ADMIN_REQUIRED');
      expect((await call(method, url, undefined, body)).statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it('suspends a user: login refused, existing access and refresh tokens refused; reactivation restores login', async () => {
    const target = await harness.registerAndLogin();
    const updates = await harness.watchEvents('user.updated');
    const suspended = await call('POST', `/admin/users/${target.user.id}/suspend`, admin);
    expect(suspended.statusCode).toBe(200);
    expect(suspended.json().status).toBe('suspended');
    expect((await updates.next((e) => e.user_id === target.user.id)).data).toMatchObject({
      changed: ['status'],
      status: 'suspended',
    });

    const me = await call('GET', '/users/me', target);
    expect(me.statusCode).toBe(401);
    expect(me.json().code).toBe('AUTH.ACCOUNT_SUSPENDED');
    const login = await call('POST', '/auth/login', undefined, {
      email: target.email,
      password: target.password,
    });
    expect(login.statusCode).toBe(401);
    expect(login.json().code).toBe('AUTH.ACCOUNT_SUSPENDED');
    expect(
      (await call('POST', '/auth/refresh', undefined, { refresh_token: target.refreshToken })).statusCode,
    ).toBe(401);

    const reactivated = await call('POST', `/admin/users/${target.user.id}/reactivate`, admin);
    expect(reactivated.json().status).toBe('active');
    const again = await call('POST', '/auth/login', undefined, {
      email: target.email,
      password: target.password,
    });
    expect(again.statusCode).toBe(200);
  });

  it('answers 404 for an unknown user id, 422 for a malformed one, 409 for suspending oneself', async () => {
    expect((await call('POST', `/admin/users/${newId()}/suspend`, admin)).statusCode).toBe(404);
    expect((await call('POST', '/admin/users/not-a-uuid/suspend', admin)).statusCode).toBe(422);
    const self = await call('POST', `/admin/users/${admin.user.id}/suspend`, admin);
    expect(self.statusCode).toBe(409);
    expect(self.json().code).toBe('USER.CANNOT_SUSPEND_SELF');
  });

  it('takes the role from the stored user: a demoted admin loses admin routes at once', async () => {
    const former = await harness.asAdmin();
    expect((await call('GET', '/admin/users', former)).statusCode).toBe(200);
    await harness.deps.dataPostgres.users.patch(former.user.id, { role: 'user' });
    await harness.deps.identity.profiles.invalidate(former.user.id);
    expect((await call('GET', '/admin/users', former)).statusCode).toBe(403);
  });
});

describe('admin dead letters', () => {
  let broker: ChannelModel;
  const queue = 'q.worker.analytics';
  const dlq = () => `${harness.deps.queuePrefix}${queue}.dlq`;
  const work = () => `${harness.deps.queuePrefix}${queue}`;

  beforeAll(async () => {
    broker = await connect(harness.vhost.url);
  });
  afterAll(async () => {
    await broker?.close();
  });

  async function deadLetter(id: string): Promise<void> {
    const channel = await broker.createChannel();
    channel.sendToQueue(dlq(), Buffer.from(JSON.stringify({ event_id: id, event_type: 'user.registered' })), {
      messageId: id,
      type: 'user.registered',
      contentType: 'application/json',
      headers: { 'x-dead-letter-reason': 'handler failed', 'x-dead-letter-reason-kind': 'retries_exhausted' },
    });
    await channel.close();
  }

  it('lists, shows, replays and purges the dead letters of a known queue', async () => {
    const [a, b, c] = [newId(), newId(), newId()];
    for (const id of [a, b, c]) await deadLetter(id);

    const listed = await call('GET', `/admin/dead-letters/${queue}?limit=10`, admin);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((l: { message_id: string }) => l.message_id)).toEqual([a, b, c]);
    expect(listed.json().items[0]).toMatchObject({
      queue,
      event_type: 'user.registered',
      reason: 'handler failed',
    });

    const shown = await call('GET', `/admin/dead-letters/${queue}/${b}`, admin);
    expect(shown.statusCode).toBe(200);
    expect(shown.json().body).toEqual({ event_id: b, event_type: 'user.registered' });
    expect((await call('GET', `/admin/dead-letters/${queue}/${newId()}`, admin)).statusCode).toBe(404);

    const replayed = await call('POST', `/admin/dead-letters/${queue}/replay`, admin, {
      ids: [a, 'missing-id'],
    });
    expect(replayed.json()).toEqual({ replayed: 1, missing: ['missing-id'] });
    // The analytics queue also holds every event this file caused: look for the replayed one among them.
    const channel = await broker.createChannel();
    const ids: string[] = [];
    for (let message = await channel.get(work()); message; message = await channel.get(work())) {
      ids.push(String(message.properties.messageId));
    }
    await channel.close(); // unacked messages go back
    expect(ids).toContain(a);
    expect(ids).not.toContain(b);

    const purged = await call('DELETE', `/admin/dead-letters/${queue}`, admin);
    expect(purged.json()).toEqual({ purged: 2 });
    expect((await call('GET', `/admin/dead-letters/${queue}`, admin)).json().items).toEqual([]);
  });

  it('refuses a queue that is not a known consumer queue (422) and bad bodies', async () => {
    for (const name of ['q.worker.unknown', 'amq.rabbitmq.log', `${randomBytes(4).toString('hex')}`]) {
      expect((await call('GET', `/admin/dead-letters/${name}`, admin)).statusCode).toBe(422);
    }
    expect((await call('POST', `/admin/dead-letters/${queue}/replay`, admin, { ids: [] })).statusCode).toBe(
      422,
    );
    expect((await call('GET', `/admin/dead-letters/${queue}?limit=0`, admin)).statusCode).toBe(422);
  });
});
