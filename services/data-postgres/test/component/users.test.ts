import type { User } from '@flotilla/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argonHash, createUser, userBody } from '../helpers/fixtures.js';
import { createTestService, type TestService } from '../helpers/test-service.js';

let service: TestService;
beforeAll(async () => {
  service = await createTestService();
});
afterAll(async () => service?.close());

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers = {}) =>
  service.app.inject({
    method,
    url,
    headers: { ...service.auth, ...headers },
    ...(payload !== undefined && { payload: payload as object }),
  });

describe('creating a user', () => {
  it('stores the email lower-cased, answers 201 with the user and an ETag, never the password hash', async () => {
    const body = userBody({
      email: 'Mixed.Case@Example.COM',
      display_name: 'Mixed',
      telegram_id: 7_000_000_001,
    });
    const response = await call('POST', '/api/v1/users', body);
    expect(response.statusCode).toBe(201);
    const user = response.json<User>();
    expect(user).toMatchObject({
      email: 'mixed.case@example.com',
      username: body.username,
      display_name: 'Mixed',
      role: 'user',
      status: 'active',
      telegram_id: 7_000_000_001,
      version: 1,
    });
    expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(response.headers.etag).toBe('"1"');
    expect(response.body).not.toContain('argon2');
  });

  it('answers 409 USER.EMAIL_TAKEN for an email that differs only in case', async () => {
    await createUser(service, { email: 'taken@example.com' });
    const response = await call('POST', '/api/v1/users', userBody({ email: 'TAKEN@Example.com' }));
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 409, code: 'USER.EMAIL_TAKEN' });
  });

  it('answers 409 for a taken username (any case), Telegram id or user id', async () => {
    const existing = await createUser(service, { username: 'Unique_Name', telegram_id: 42_424_242 });
    const sameName = await call('POST', '/api/v1/users', userBody({ username: 'unique_name' }));
    expect(sameName.json().code).toBe('USER.USERNAME_TAKEN');
    const sameTelegram = await call('POST', '/api/v1/users', userBody({ telegram_id: 42_424_242 }));
    expect(sameTelegram.json().code).toBe('USER.TELEGRAM_ID_TAKEN');
    const sameId = await call('POST', '/api/v1/users', userBody({ id: existing.id }));
    expect(sameId.statusCode).toBe(409);
    expect(sameId.json().code).toBe('USER.ALREADY_EXISTS');
  });

  it('rejects unknown fields, wrong types, a plain password and a bad email with 422 and field paths', async () => {
    const unknown = await call('POST', '/api/v1/users', { ...userBody(), is_admin: true });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors).toContainEqual({
      field: '/body/is_admin',
      message: 'is not an allowed property',
    });

    const wrongTypes = await call('POST', '/api/v1/users', {
      ...userBody(),
      telegram_id: 'abc',
      role: 'root',
    });
    expect(wrongTypes.statusCode).toBe(422);
    const fields = wrongTypes.json().errors.map((error: { field: string }) => error.field);
    expect(fields).toEqual(expect.arrayContaining(['/body/telegram_id', '/body/role']));

    const plain = await call('POST', '/api/v1/users', {
      ...userBody(),
      password_hash: 'hunter2hunter2hunter2',
    });
    expect(plain.statusCode).toBe(422);
    expect(plain.json().errors[0].field).toBe('/body/password_hash');

    const badEmail = await call('POST', '/api/v1/users', { ...userBody(), email: 'not-an-email' });
    expect(badEmail.statusCode).toBe(422);
    expect(badEmail.json().errors[0].field).toBe('/body/email');
  });

  it('answers 400 problem+json to a malformed JSON body', async () => {
    const response = await service.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { ...service.auth, 'content-type': 'application/json' },
      payload: '{"email": "a@b.c",',
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().code).toBe('REQUEST.MALFORMED_BODY');
  });
});

describe('reading users', () => {
  it('finds a user by id, by email in any case and by Telegram id; 404 USER.NOT_FOUND otherwise', async () => {
    const user = await createUser(service, { email: 'reader@example.com', telegram_id: 99_000_001 });
    expect((await call('GET', `/api/v1/users/${user.id}`)).json()).toEqual(user);
    expect((await call('GET', '/api/v1/users/by-email/READER@example.com')).json()).toEqual(user);
    expect((await call('GET', '/api/v1/users/by-telegram-id/99000001')).json()).toEqual(user);

    const missing = await call('GET', '/api/v1/users/0190a6e4-0000-7000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('USER.NOT_FOUND');
    expect((await call('GET', '/api/v1/users/by-email/nobody@example.com')).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/users/by-telegram-id/1')).statusCode).toBe(404);
  });

  it('answers 422 (not 500) to a malformed id, email or Telegram id in the path', async () => {
    for (const url of [
      '/api/v1/users/not-a-uuid',
      '/api/v1/users/by-email/nope',
      '/api/v1/users/by-telegram-id/x1',
    ]) {
      const response = await call('GET', url);
      expect(response.statusCode, url).toBe(422);
      expect(response.json().errors[0].field).toMatch(/^\/params\//);
    }
  });

  it('returns the password hash only from the credentials endpoints', async () => {
    const hash = argonHash();
    const user = await createUser(service, { email: 'login@example.com', password_hash: hash });
    const byEmail = await call('GET', '/api/v1/users/by-email/Login@Example.com/credentials');
    expect(byEmail.statusCode).toBe(200);
    expect(byEmail.json()).toEqual({ user, password_hash: hash });
    const byId = await call('GET', `/api/v1/users/${user.id}/credentials`);
    expect(byId.json()).toEqual({ user, password_hash: hash });
    expect((await call('GET', '/api/v1/users/by-email/ghost@example.com/credentials')).statusCode).toBe(404);
  });
});

describe('listing users', () => {
  it('pages newest first and filters by status, role, email prefix and search', async () => {
    const tag = `lst${Date.now().toString(36)}`;
    const created: User[] = [];
    for (let i = 0; i < 5; i += 1) {
      created.push(
        await createUser(service, {
          email: `${tag}.${i}@example.com`,
          display_name: i === 3 ? `Needle ${tag}` : null,
          role: i === 0 ? 'admin' : 'user',
          status: i === 1 ? 'suspended' : 'active',
        }),
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/api/v1/users?limit=2&email_prefix=${tag.toUpperCase()}${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await call('GET', query)).json<{ items: User[]; next_cursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((user) => user.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(created.map((user) => user.id).reverse());

    const ids = async (query: string) =>
      (await call('GET', `/api/v1/users?email_prefix=${tag}&${query}`))
        .json()
        .items.map((user: User) => user.id);
    expect(await ids('role=admin')).toEqual([created[0]?.id]);
    expect(await ids('status=suspended')).toEqual([created[1]?.id]);
    expect(await ids(`search=needle%20${tag}`)).toEqual([created[3]?.id]);
  });

  it('treats LIKE wildcards in the prefix literally and rejects bad limits, unknown filters and forged cursors', async () => {
    expect((await call('GET', '/api/v1/users?email_prefix=%25')).json().items).toEqual([]);
    expect((await call('GET', '/api/v1/users?limit=0')).statusCode).toBe(422);
    expect((await call('GET', '/api/v1/users?limit=201')).statusCode).toBe(422);
    expect((await call('GET', '/api/v1/users?sort=email')).statusCode).toBe(422);
    const forged = await call('GET', `/api/v1/users?cursor=${Buffer.from('["x",1]').toString('base64url')}`);
    expect(forged.statusCode).toBe(422);
    expect(forged.json().errors).toEqual([
      { field: '/query/cursor', message: 'is not a cursor this service issued' },
    ]);
  });
});

describe('changing a user', () => {
  it('applies a patch, increments the version and unlinks Telegram with null', async () => {
    const user = await createUser(service, { telegram_id: 55_500_001 });
    const response = await call('PATCH', `/api/v1/users/${user.id}`, {
      display_name: 'Renamed',
      status: 'suspended',
      telegram_id: null,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      display_name: 'Renamed',
      status: 'suspended',
      telegram_id: null,
      version: 2,
    });
    expect(response.headers.etag).toBe('"2"');
    expect(Date.parse(response.json().updated_at)).toBeGreaterThanOrEqual(Date.parse(user.updated_at));
  });

  it('answers 412 USER.VERSION_MISMATCH with the current version when If-Match or expected_version is stale', async () => {
    const user = await createUser(service);
    const first = await call(
      'PATCH',
      `/api/v1/users/${user.id}`,
      { display_name: 'One' },
      { 'if-match': '"1"' },
    );
    expect(first.statusCode).toBe(200);
    const stale = await call(
      'PATCH',
      `/api/v1/users/${user.id}`,
      { display_name: 'Two' },
      { 'if-match': '"1"' },
    );
    expect(stale.statusCode).toBe(412);
    expect(stale.json()).toMatchObject({ code: 'USER.VERSION_MISMATCH', current_version: 2 });
    const staleBody = await call('PATCH', `/api/v1/users/${user.id}`, {
      display_name: 'Two',
      expected_version: 1,
    });
    expect(staleBody.statusCode).toBe(412);
    const fresh = await call('PATCH', `/api/v1/users/${user.id}`, {
      display_name: 'Two',
      expected_version: 2,
    });
    expect(fresh.json()).toMatchObject({ display_name: 'Two', version: 3 });
  });

  it('lets exactly one of concurrent writers holding the same version win', async () => {
    const user = await createUser(service);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call('PATCH', `/api/v1/users/${user.id}`, { display_name: `Writer ${i}`, expected_version: 1 }),
      ),
    );
    const statuses = results.map((result) => result.statusCode).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(412)]);
  });

  it('answers 409 when the new email is taken, 404 for an unknown user, 422 for an empty or conflicting patch', async () => {
    await createUser(service, { email: 'first.owner@example.com' });
    const user = await createUser(service);
    const taken = await call('PATCH', `/api/v1/users/${user.id}`, { email: 'First.Owner@example.com' });
    expect(taken.json().code).toBe('USER.EMAIL_TAKEN');
    const missing = await call('PATCH', '/api/v1/users/0190a6e4-0000-7000-8000-000000000000', {
      display_name: 'x',
    });
    expect(missing.statusCode).toBe(404);
    expect((await call('PATCH', `/api/v1/users/${user.id}`, {})).statusCode).toBe(422);
    expect((await call('PATCH', `/api/v1/users/${user.id}`, { expected_version: 1 })).statusCode).toBe(422);
    const disagree = await call(
      'PATCH',
      `/api/v1/users/${user.id}`,
      { display_name: 'x', expected_version: 2 },
      {
        'if-match': '"1"',
      },
    );
    expect(disagree.statusCode).toBe(422);
    expect(
      (await call('PATCH', `/api/v1/users/${user.id}`, { display_name: 'x' }, { 'if-match': 'v1' }))
        .statusCode,
    ).toBe(422);
  });

  it('changes the password hash, visible only through credentials', async () => {
    const user = await createUser(service);
    const hash = argonHash();
    const patched = await call('PATCH', `/api/v1/users/${user.id}`, { password_hash: hash });
    expect(patched.body).not.toContain('argon2');
    expect((await call('GET', `/api/v1/users/${user.id}/credentials`)).json().password_hash).toBe(hash);
  });
});

describe('deleting a user', () => {
  it('answers 204, then 404; a stale If-Match answers 412 and deletes nothing', async () => {
    const user = await createUser(service);
    const stale = await call('DELETE', `/api/v1/users/${user.id}`, undefined, { 'if-match': '"5"' });
    expect(stale.statusCode).toBe(412);
    const deleted = await call('DELETE', `/api/v1/users/${user.id}`, undefined, { 'if-match': '"1"' });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect((await call('GET', `/api/v1/users/${user.id}`)).statusCode).toBe(404);
    expect((await call('DELETE', `/api/v1/users/${user.id}`)).statusCode).toBe(404);
  });
});
