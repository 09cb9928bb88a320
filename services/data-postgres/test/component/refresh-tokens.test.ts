import type { RefreshToken, RefreshTokenRotation, User } from '@flotilla/contracts';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, tokenHash } from '../helpers/fixtures.js';
import { createTestService, type TestService } from '../helpers/test-service.js';

let service: TestService;
let user: User;
beforeAll(async () => {
  service = await createTestService();
  user = await createUser(service);
});
afterAll(async () => service?.close());

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
const post = (url: string, payload?: object) =>
  service.app.inject({ method: 'POST', url, headers: service.auth, ...(payload && { payload }) });

async function issue(userId = user.id): Promise<RefreshToken> {
  const response = await post('/api/v1/refresh-tokens', {
    user_id: userId,
    token_hash: tokenHash(),
    expires_at: inAnHour(),
  });
  expect(response.statusCode).toBe(201);
  return response.json();
}

const rotate = (presented: string, replacement = tokenHash()) =>
  post('/api/v1/refresh-tokens/rotate', {
    token_hash: presented,
    replacement: { token_hash: replacement, expires_at: inAnHour() },
  });

describe('storing and finding refresh tokens', () => {
  it('starts a new family named after the token and finds it by hash', async () => {
    const token = await issue();
    expect(token).toMatchObject({
      user_id: user.id,
      family_id: token.id,
      revoked_at: null,
      replaced_by: null,
    });
    const found = await service.app.inject({
      url: `/api/v1/refresh-tokens/by-hash/${token.token_hash}`,
      headers: service.auth,
    });
    expect(found.json()).toEqual(token);
  });

  it('answers 404 for an unknown hash, 422 for a non-hex hash, 409 for a duplicate and 422 for an unknown user', async () => {
    const missing = await service.app.inject({
      url: `/api/v1/refresh-tokens/by-hash/${tokenHash()}`,
      headers: service.auth,
    });
    expect(missing.json().code).toBe('REFRESH_TOKEN.NOT_FOUND');
    const raw = await service.app.inject({
      url: '/api/v1/refresh-tokens/by-hash/not-a-hash',
      headers: service.auth,
    });
    expect(raw.statusCode).toBe(422);

    const token = await issue();
    const duplicate = await post('/api/v1/refresh-tokens', {
      user_id: user.id,
      token_hash: token.token_hash,
      expires_at: inAnHour(),
    });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().code).toBe('REFRESH_TOKEN.HASH_TAKEN');

    const orphan = await post('/api/v1/refresh-tokens', {
      user_id: '0190a6e4-0000-7000-8000-000000000000',
      token_hash: tokenHash(),
      expires_at: inAnHour(),
    });
    expect(orphan.statusCode).toBe(422);
    expect(orphan.json()).toMatchObject({
      code: 'REFRESH_TOKEN.USER_NOT_FOUND',
      errors: [{ field: '/body/user_id', message: 'names no user' }],
    });
  });
});

describe('rotating a refresh token', () => {
  it('marks the presented token replaced and stores the new one in the same family', async () => {
    const token = await issue();
    const response = await rotate(token.token_hash);
    expect(response.statusCode).toBe(201);
    const { previous, current } = response.json<RefreshTokenRotation>();
    expect(current).toMatchObject({ user_id: user.id, family_id: token.family_id, replaced_by: null });
    expect(previous).toMatchObject({ id: token.id, replaced_by: current.id, revoked_at: null });
  });

  it('refuses a second rotation of the same token with REFRESH_TOKEN.REUSED naming the family', async () => {
    const token = await issue();
    expect((await rotate(token.token_hash)).statusCode).toBe(201);
    const reuse = await rotate(token.token_hash);
    expect(reuse.statusCode).toBe(409);
    expect(reuse.json()).toMatchObject({
      code: 'REFRESH_TOKEN.REUSED',
      family_id: token.family_id,
      user_id: user.id,
    });
  });

  it('lets only one of concurrent rotations of one token succeed', async () => {
    const token = await issue();
    const results = await Promise.all(Array.from({ length: 8 }, () => rotate(token.token_hash)));
    const codes = results.map((result) => (result.statusCode === 201 ? 'ok' : result.json().code)).sort();
    expect(codes).toEqual([...Array(7).fill('REFRESH_TOKEN.REUSED'), 'ok']);
    const family = await service.deps.database.db
      .selectFrom('refreshTokens')
      .select(['id', 'replacedBy'])
      .where('familyId', '=', token.family_id)
      .execute();
    expect(family).toHaveLength(2);
  });

  it('refuses a revoked token (REVOKED), an expired one (EXPIRED) and an unknown one (404)', async () => {
    const revoked = await issue();
    await post(`/api/v1/refresh-tokens/families/${revoked.family_id}/revoke`);
    expect((await rotate(revoked.token_hash)).json().code).toBe('REFRESH_TOKEN.REVOKED');

    const expired = await issue();
    await sql`update refresh_tokens set expires_at = now() - interval '1 second' where id = ${expired.id}`.execute(
      service.deps.database.db,
    );
    expect((await rotate(expired.token_hash)).json().code).toBe('REFRESH_TOKEN.EXPIRED');

    const unknown = await rotate(tokenHash());
    expect(unknown.statusCode).toBe(404);
  });

  it('stores nothing when the replacement hash is already taken', async () => {
    const token = await issue();
    const other = await issue();
    const clash = await rotate(token.token_hash, other.token_hash);
    expect(clash.json().code).toBe('REFRESH_TOKEN.HASH_TAKEN');
    const again = await rotate(token.token_hash);
    expect(again.statusCode).toBe(201);
  });
});

describe('revoking refresh tokens', () => {
  it('revokes a whole family, counting only tokens that were live', async () => {
    const token = await issue();
    const { current } = (await rotate(token.token_hash)).json<RefreshTokenRotation>();
    const response = await post(`/api/v1/refresh-tokens/families/${current.family_id}/revoke`);
    expect(response.json()).toEqual({ revoked: 2 });
    expect((await post(`/api/v1/refresh-tokens/families/${current.family_id}/revoke`)).json()).toEqual({
      revoked: 0,
    });
  });

  it("revokes every token of a user and leaves other users' tokens alone", async () => {
    const owner = await createUser(service);
    const bystander = await createUser(service);
    await issue(owner.id);
    await issue(owner.id);
    const kept = await issue(bystander.id);
    expect((await post(`/api/v1/refresh-tokens/users/${owner.id}/revoke`)).json()).toEqual({ revoked: 2 });
    const found = await service.app.inject({
      url: `/api/v1/refresh-tokens/by-hash/${kept.token_hash}`,
      headers: service.auth,
    });
    expect(found.json().revoked_at).toBeNull();
  });
});
