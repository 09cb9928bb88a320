import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../../../packages/platform/test/component/messaging-broker.js';
import { type ApiHarness, startApiHarness, type TestUser, waitFor } from '../support/api-harness.js';
import { COVERED_ROUTES } from '../support/covered-routes.js';
import { expectRoutesHit } from '../support/route-coverage.js';

let harness: ApiHarness;

beforeAll(async () => {
  harness = await startApiHarness({ label: 'api-users' });
}, 90_000);

afterAll(async () => {
  expectRoutesHit(harness.hits, COVERED_ROUTES['users.test.ts']);
  await harness?.stop();
}, 30_000);

const call = (method: 'GET' | 'PATCH' | 'POST' | 'DELETE', url: string, user?: TestUser, payload?: object) =>
  harness.inject({
    method,
    url: `/api/v1${url}`,
    ...(user && { headers: user.headers }),
    ...(payload && { payload }),
  });

const cacheKey = (id: string) => `cache:user:${id}`;

/** Calls the api made to data-postgres `GET /api/v1/users/:id` so far (from its client metrics). */
async function userReads(): Promise<number> {
  const metric = harness.deps.runtime.metrics.registry.getSingleMetric(
    'http_client_request_duration_seconds',
  );
  const { values } = (await metric?.get()) ?? { values: [] };
  return values
    .filter(
      (value) =>
        (value as { metricName?: string }).metricName === 'http_client_request_duration_seconds_count' &&
        value.labels.route === '/api/v1/users/:id' &&
        value.labels.method === 'GET',
    )
    .reduce((sum, value) => sum + value.value, 0);
}

describe('GET /users/me', () => {
  it('answers the caller’s own profile, without any password data', async () => {
    const alice = await harness.registerAndLogin();
    const response = await call('GET', '/users/me', alice);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: alice.user.id,
      email: alice.email,
      role: 'user',
      telegram_id: null,
    });
    expect(response.body).not.toMatch(/password|argon|version/);
  });

  it('requires a token', async () => {
    expect((await call('GET', '/users/me')).statusCode).toBe(401);
  });

  it('serves from the Redis cache, counting hits and misses', async () => {
    const alice = await harness.registerAndLogin();
    const registry = harness.deps.runtime.metrics.registry;
    await harness.deps.redis.client.del(cacheKey(alice.user.id));
    const misses = await metricValue(registry, 'cache_requests_total', { cache: 'user', result: 'miss' });
    await call('GET', '/users/me', alice);
    expect(await harness.deps.redis.client.ttl(cacheKey(alice.user.id))).toBeGreaterThan(0);
    const hits = await metricValue(registry, 'cache_requests_total', { cache: 'user', result: 'hit' });
    await call('GET', '/users/me', alice);
    expect(await metricValue(registry, 'cache_requests_total', { cache: 'user', result: 'miss' })).toBe(
      misses + 1,
    );
    expect(await metricValue(registry, 'cache_requests_total', { cache: 'user', result: 'hit' })).toBe(
      hits + 1,
    );
  });

  it('keeps a profile read from Redis in memory: the next read makes no Redis round trip', async () => {
    const alice = await harness.registerAndLogin();
    const registry = harness.deps.runtime.metrics.registry;
    const count = (cache: string, result: string) =>
      metricValue(registry, 'cache_requests_total', { cache, result });
    await call('GET', '/users/me', alice); // loaded, written to Redis
    await call('GET', '/users/me', alice); // read from Redis, kept
    const redisHits = await count('user', 'hit');
    const localHits = await count('user_local', 'hit');
    expect((await call('GET', '/users/me', alice)).json().id).toBe(alice.user.id);
    expect(await count('user_local', 'hit')).toBe(localHits + 1);
    expect(await count('user', 'hit')).toBe(redisHits);
  });

  it('drops the in-memory profile when another api process changes the user (Redis reports it)', async () => {
    const alice = await harness.registerAndLogin();
    await call('GET', '/users/me', alice);
    await call('GET', '/users/me', alice); // now in memory
    // Another api process: it writes the user, then drops the Redis entry on its own connection.
    const other = harness.deps.redis.client.duplicate();
    try {
      await harness.deps.dataPostgres.users.patch(alice.user.id, { display_name: 'Changed elsewhere' });
      await other.del(cacheKey(alice.user.id));
      await waitFor(
        'the change to reach this process',
        async () => (await call('GET', '/users/me', alice)).json().display_name === 'Changed elsewhere',
        5000,
      );
    } finally {
      other.disconnect();
    }
  });

  it('loads concurrent misses of one user once (single flight)', async () => {
    const alice = await harness.registerAndLogin();
    await harness.deps.redis.client.del(cacheKey(alice.user.id));
    const before = await userReads();
    const profiles = await Promise.all(
      Array.from({ length: 8 }, () => harness.deps.identity.profiles.get(alice.user.id)),
    );
    expect(new Set(profiles.map((p) => p?.id))).toEqual(new Set([alice.user.id]));
    expect((await userReads()) - before).toBe(1);
  });

  it('never caches what a load read before an invalidation that happened while it ran', async () => {
    const alice = await harness.registerAndLogin();
    const { profiles } = harness.deps.identity;
    await harness.deps.redis.client.del(cacheKey(alice.user.id));
    const loading = profiles.get(alice.user.id); // in flight: a data-postgres call
    await profiles.invalidate(alice.user.id); // a write happened meanwhile
    expect((await loading)?.id).toBe(alice.user.id);
    expect(await harness.deps.redis.client.exists(cacheKey(alice.user.id))).toBe(0);
  });

  it('drops the cached profile when a user.updated event arrives from another service', async () => {
    const alice = await harness.registerAndLogin();
    await call('GET', '/users/me', alice);
    expect(await harness.deps.redis.client.exists(cacheKey(alice.user.id))).toBe(1);
    // Another service (the bot) changed the user and published user.updated.
    const changed = await harness.deps.dataPostgres.users.patch(alice.user.id, {
      display_name: 'From the bot',
    });
    await harness.deps.messaging.publish('user.updated', {
      user_id: alice.user.id,
      version: changed.version,
      changed: ['display_name'],
      status: 'active',
    });
    await waitFor(
      'cache invalidation',
      async () => (await harness.deps.redis.client.exists(cacheKey(alice.user.id))) === 0,
    );
    expect((await call('GET', '/users/me', alice)).json().display_name).toBe('From the bot');
  });
});

describe('PATCH /users/me', () => {
  it('changes the caller’s display name and username, invalidates the cache, publishes user.updated', async () => {
    const alice = await harness.registerAndLogin();
    await call('GET', '/users/me', alice); // cached
    const updates = await harness.watchEvents('user.updated');
    const username = `renamed_${randomBytes(4).toString('hex')}`;
    const response = await call('PATCH', '/users/me', alice, { display_name: 'Alice A.', username });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ display_name: 'Alice A.', username });
    expect((await call('GET', '/users/me', alice)).json()).toMatchObject({
      display_name: 'Alice A.',
      username,
    });
    const event = await updates.next((e) => e.user_id === alice.user.id);
    expect((event.data as { changed: string[] }).changed.sort()).toEqual(['display_name', 'username']);
  });

  it('refuses a NUL character in the display name with 422 and the field path, and changes nothing', async () => {
    const alice = await harness.registerAndLogin();
    const before = (await call('GET', '/users/me', alice)).json();
    const response = await call('PATCH', '/users/me', alice, { display_name: 'Ali\u0000ce' });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toEqual([
      { field: '/body/display_name', message: expect.stringContaining('NUL') },
    ]);
    expect((await call('GET', '/users/me', alice)).json()).toEqual(before);
    // data-postgres itself answers 4xx for the same text, never 500.
    const direct = await fetch(`${harness.services.dataPostgresUrl}/api/v1/users/${alice.user.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${harness.services.tokens.api}`, 'content-type': 'application/json' },
      body: JSON.stringify({ display_name: 'Ali\u0000ce' }),
    });
    expect(direct.status).toBe(422);
  });

  it('only ever touches the caller: another user is unchanged', async () => {
    const alice = await harness.registerAndLogin();
    const bob = await harness.registerAndLogin();
    await call('PATCH', '/users/me', alice, { display_name: 'Only Alice' });
    expect((await call('GET', '/users/me', bob)).json().display_name).toBeNull();
  });

  it('refuses role, status, email, id or any unknown field (mass assignment) with 422', async () => {
    const alice = await harness.registerAndLogin();
    for (const body of [
      { role: 'admin' },
      { status: 'active' },
      { email: 'x@example.test' },
      { id: alice.user.id },
      {},
    ]) {
      const response = await call('PATCH', '/users/me', alice, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(422);
    }
    expect((await call('GET', '/users/me', alice)).json().role).toBe('user');
  });

  it('answers 409 USER.USERNAME_TAKEN for another user’s username', async () => {
    const alice = await harness.registerAndLogin();
    const bob = await harness.registerAndLogin();
    const response = await call('PATCH', '/users/me', alice, { username: bob.user.username.toUpperCase() });
    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('USER.USERNAME_TAKEN');
  });

  it('requires a token', async () => {
    expect((await call('PATCH', '/users/me', undefined, { display_name: 'x' })).statusCode).toBe(401);
  });
});

describe('POST /users/me/password', () => {
  it('changes the password: the old one stops working, the new one works, other sessions are revoked', async () => {
    const alice = await harness.registerAndLogin();
    const response = await call('POST', '/users/me/password', alice, {
      current_password: alice.password,
      new_password: 'a-brand-new-password',
    });
    expect(response.statusCode).toBe(204);
    const old = await call('POST', '/auth/login', undefined, {
      email: alice.email,
      password: alice.password,
    });
    expect(old.statusCode).toBe(401);
    const fresh = await call('POST', '/auth/login', undefined, {
      email: alice.email,
      password: 'a-brand-new-password',
    });
    expect(fresh.statusCode).toBe(200);
    expect(
      (await call('POST', '/auth/refresh', undefined, { refresh_token: alice.refreshToken })).statusCode,
    ).toBe(401);
  });

  it('refuses a wrong current password (403) and a too short new one (422)', async () => {
    const alice = await harness.registerAndLogin();
    const wrong = await call('POST', '/users/me/password', alice, {
      current_password: 'not-my-password',
      new_password: 'a-brand-new-password',
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().code).toBe('AUTH.CURRENT_PASSWORD_INCORRECT');
    const short = await call('POST', '/users/me/password', alice, {
      current_password: alice.password,
      new_password: 'x',
    });
    expect(short.statusCode).toBe(422);
  });

  it('counts wrong current passwords like failed logins: a stolen token cannot guess the password', async () => {
    const alice = await harness.registerAndLogin();
    const guess = { current_password: 'guess-number-x', new_password: 'a-brand-new-password' };
    const statuses: number[] = [];
    for (let i = 0; i <= harness.config.loginMaxPerAccount; i += 1) {
      statuses.push((await call('POST', '/users/me/password', alice, guess)).statusCode);
    }
    expect(statuses.slice(0, -1).every((status) => status === 403)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    // The right password is refused too until the window passes.
    const right = await call('POST', '/users/me/password', alice, {
      ...guess,
      current_password: alice.password,
    });
    expect(right.statusCode).toBe(429);
  });

  it('requires a token', async () => {
    expect(
      (
        await call('POST', '/users/me/password', undefined, {
          current_password: 'a',
          new_password: 'bbbbbbbbbbbb',
        })
      ).statusCode,
    ).toBe(401);
  });
});

describe('Telegram linking', () => {
  it('issues a one-time code that the bot’s use case redeems once; the link shows on the profile', async () => {
    const alice = await harness.registerAndLogin();
    const linked = await harness.watchEvents('telegram.linked');
    const issued = await call('POST', '/users/me/telegram/link-code', alice);
    expect(issued.statusCode).toBe(201);
    const { code, expires_in } = issued.json();
    expect(code).toMatch(/^[A-Z2-9]{10}$/);
    expect(expires_in).toBe(harness.config.telegramLinkCodeTtlSeconds);
    const keys = await harness.deps.redis.client.keys('linkcode:*');
    expect(keys.some((key) => key.includes(code))).toBe(false); // only a hash is stored

    const telegramId = 100_000 + Math.floor(Math.random() * 1e9);
    const { completeTelegramLink } = harness.deps.identity.useCases;
    const result = await completeTelegramLink(code, telegramId, { chatId: telegramId, username: 'alice_tg' });
    expect(result.user.telegram_id).toBe(telegramId);
    expect((await call('GET', '/users/me', alice)).json().telegram_id).toBe(telegramId);
    expect((await linked.next((e) => e.user_id === alice.user.id)).data).toEqual({
      user_id: alice.user.id,
      telegram_id: telegramId,
    });
    await expect(completeTelegramLink(code, telegramId, { chatId: telegramId })).rejects.toMatchObject({
      code: 'TELEGRAM.LINK_CODE_INVALID',
    });
  });

  it('refuses to link a Telegram account that belongs to another user', async () => {
    const alice = await harness.registerAndLogin();
    const bob = await harness.registerAndLogin();
    const telegramId = 200_000 + Math.floor(Math.random() * 1e9);
    const { completeTelegramLink } = harness.deps.identity.useCases;
    const aliceCode = (await call('POST', '/users/me/telegram/link-code', alice)).json().code;
    await completeTelegramLink(aliceCode, telegramId, { chatId: telegramId });
    const bobCode = (await call('POST', '/users/me/telegram/link-code', bob)).json().code;
    await expect(completeTelegramLink(bobCode, telegramId, { chatId: telegramId })).rejects.toMatchObject({
      code: 'TELEGRAM.ID_TAKEN',
    });
    expect((await call('GET', '/users/me', bob)).json().telegram_id).toBeNull();
  });

  it('unlinks; unlinking again answers 404 TELEGRAM.NOT_LINKED', async () => {
    const alice = await harness.registerAndLogin();
    const telegramId = 300_000 + Math.floor(Math.random() * 1e9);
    const code = (await call('POST', '/users/me/telegram/link-code', alice)).json().code;
    await harness.deps.identity.useCases.completeTelegramLink(code, telegramId, { chatId: telegramId });
    const unlinked = await call('DELETE', '/users/me/telegram', alice);
    expect(unlinked.statusCode).toBe(200);
    expect(unlinked.json().telegram_id).toBeNull();
    const again = await call('DELETE', '/users/me/telegram', alice);
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('TELEGRAM.NOT_LINKED');
  });

  it('requires a token for both routes', async () => {
    expect((await call('POST', '/users/me/telegram/link-code')).statusCode).toBe(401);
    expect((await call('DELETE', '/users/me/telegram')).statusCode).toBe(401);
  });
});
