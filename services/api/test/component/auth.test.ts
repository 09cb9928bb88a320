import { createHash, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../support/api-harness.js';
import { COVERED_ROUTES } from '../support/covered-routes.js';
import { expectRoutesHit } from '../support/route-coverage.js';

let harness: ApiHarness;

beforeAll(async () => {
  harness = await startApiHarness({ label: 'api-auth', env: { LOGIN_MAX_PER_ACCOUNT: '3' } });
}, 90_000);

afterAll(async () => {
  expectRoutesHit(harness.hits, COVERED_ROUTES['auth.test.ts']);
  await harness?.stop();
}, 30_000);

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  harness.inject({ method: 'POST', url: `/api/v1${url}`, payload: payload as object, headers });

function fresh() {
  const suffix = randomBytes(5).toString('hex');
  return { email: `a-${suffix}@example.test`, username: `u_${suffix}`, password: `secret-${suffix}-pw` };
}

function signWith(key: string, claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const { config } = harness;
  return new SignJWT({ role: 'user', ...claims })
    .setProtectedHeader({ alg: 'HS256', kid: config.jwtKeyId, typ: 'at+jwt', ...header })
    .setIssuer(config.jwtIssuer)
    .setAudience(config.jwtAudience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(key));
}

describe('register', () => {
  it('creates an active user with the user role and answers the profile without any password data', async () => {
    const input = fresh();
    const response = await post('/auth/register', input);
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({
      email: input.email,
      username: input.username,
      role: 'user',
      status: 'active',
    });
    expect(JSON.stringify(body)).not.toMatch(/password|argon/);
    const credentials = await harness.deps.dataPostgres.users.getCredentials(body.id);
    expect(credentials?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('refuses a role or any unknown field (mass assignment) with 422 and the field path', async () => {
    const response = await post('/auth/register', { ...fresh(), role: 'admin' });
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.json().errors).toContainEqual({
      field: '/body/role',
      message: 'is not an allowed property',
    });
  });

  it('refuses passwords shorter than the minimum or longer than the maximum', async () => {
    const short = await post('/auth/register', { ...fresh(), password: 'short' });
    expect(short.statusCode).toBe(422);
    expect(short.json().errors[0].field).toBe('/body/password');
    const long = await post('/auth/register', {
      ...fresh(),
      password: 'x'.repeat(harness.config.passwordMaxLength + 1),
    });
    expect(long.statusCode).toBe(422);
  });

  it('answers 409 USER.EMAIL_TAKEN for an email registered before, whatever its case', async () => {
    const input = fresh();
    expect((await post('/auth/register', input)).statusCode).toBe(201);
    const again = await post('/auth/register', { ...fresh(), email: input.email.toUpperCase() });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('USER.EMAIL_TAKEN');
  });

  it('publishes user.registered with the request id after the user is stored', async () => {
    const input = fresh();
    const seen = await harness.watchEvents('user.registered');
    const response = await post('/auth/register', input, { 'x-request-id': 'req-register-1' });
    const event = await seen.next((e) => e.user_id === response.json().id);
    expect(event).toMatchObject({
      request_id: 'req-register-1',
      producer: 'api',
      data: { username: input.username, role: 'user' },
    });
  });
});

describe('idempotent register', () => {
  it('replays the stored reply for the same key and body, without creating a second user', async () => {
    const input = fresh();
    const headers = { 'idempotency-key': `reg-${randomBytes(4).toString('hex')}` };
    const first = await post('/auth/register', input, headers);
    const second = await post('/auth/register', input, headers);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json()).toEqual(first.json());
  });

  it('keys the stored reply by a hash of caller, route and key: the raw key is never a Redis key', async () => {
    const raw = `raw-key-${randomBytes(6).toString('hex')}`;
    expect((await post('/auth/register', fresh(), { 'idempotency-key': raw })).statusCode).toBe(201);
    const redis = harness.deps.redis.client;
    expect(await redis.keys(`*${raw}*`)).toEqual([]);
    const stored = await redis.keys('idempotency:http:*');
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((key) => /^idempotency:http:[0-9a-f]{64}$/.test(key))).toBe(true);
    const ttl = await redis.ttl(stored[0] as string);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(harness.config.idempotencyTtlSeconds);
  });

  it('answers 422 IDEMPOTENCY.KEY_REUSED when the same key comes with another body', async () => {
    const headers = { 'idempotency-key': `reg-${randomBytes(4).toString('hex')}` };
    expect((await post('/auth/register', fresh(), headers)).statusCode).toBe(201);
    const other = await post('/auth/register', fresh(), headers);
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('IDEMPOTENCY.KEY_REUSED');
  });

  it('answers 409 IDEMPOTENCY.IN_PROGRESS to a concurrent duplicate', async () => {
    const input = fresh();
    const headers = { 'idempotency-key': `reg-${randomBytes(4).toString('hex')}` };
    const [a, b] = await Promise.all([
      post('/auth/register', input, headers),
      post('/auth/register', input, headers),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
    expect([a, b].find((r) => r.statusCode === 409)?.json().code).toBe('IDEMPOTENCY.IN_PROGRESS');
  });
});

describe('login', () => {
  it('returns a short-lived access JWT with iss, aud, exp and kid, and an opaque refresh token', async () => {
    const input = fresh();
    await post('/auth/register', input);
    const response = await post('/auth/login', { email: input.email, password: input.password });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: harness.config.accessTokenTtlSeconds });
    const [header, payload] = body.access_token
      .split('.')
      .slice(0, 2)
      .map((part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'HS256', kid: harness.config.jwtKeyId, typ: 'at+jwt' });
    expect(payload).toMatchObject({ iss: harness.config.jwtIssuer, aud: harness.config.jwtAudience });
    expect(payload.exp - payload.iat).toBe(harness.config.accessTokenTtlSeconds);
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Stored as its SHA-256 only.
    const digest = createHash('sha256').update(body.refresh_token).digest('hex');
    const stored = await harness.deps.dataPostgres.refreshTokens.findByHash(digest);
    expect(stored?.token_hash).toBe(digest);
  });

  it('answers the same 401 for a wrong password and an unknown email', async () => {
    const input = fresh();
    await post('/auth/register', input);
    const wrong = await post('/auth/login', { email: input.email, password: 'not-the-password' });
    const unknown = await post('/auth/login', { email: `nobody-${input.email}`, password: input.password });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().code).toBe('AUTH.INVALID_CREDENTIALS');
    expect(unknown.json().code).toBe('AUTH.INVALID_CREDENTIALS');
  });

  it('refuses an oversized password before hashing it (422)', async () => {
    const response = await post('/auth/login', { email: 'x@example.test', password: 'x'.repeat(10_000) });
    expect(response.statusCode).toBe(422);
  });

  it('locks an account after repeated failures: 429 with Retry-After, even with the right password', async () => {
    const input = fresh();
    await post('/auth/register', input);
    for (let i = 0; i < 3; i += 1) {
      expect(
        (await post('/auth/login', { email: input.email, password: 'wrong-password!' })).statusCode,
      ).toBe(401);
    }
    const blocked = await post('/auth/login', { email: input.email, password: input.password });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('AUTH.TOO_MANY_ATTEMPTS');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('limits attempts per client IP across accounts', async () => {
    const ip = `10.${randomBytes(3).join('.')}`;
    const limited = await startApiHarness({
      label: 'api-auth-ip',
      services: harness.services,
      env: { LOGIN_MAX_PER_IP: '4' },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const response = await limited.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: ip,
          payload: { email: `probe-${i}@example.test`, password: 'whatever-password' },
        });
        statuses.push(response.statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    } finally {
      await limited.stop();
    }
  }, 60_000);
});

describe('access tokens', () => {
  const me = (authorization: string) =>
    harness.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization } });

  it('are refused when missing, with 401 and WWW-Authenticate', async () => {
    const response = await harness.inject({ method: 'GET', url: '/api/v1/users/me' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.json().code).toBe('AUTH.TOKEN_INVALID');
  });

  it('are refused with alg none', async () => {
    const user = await harness.registerAndLogin();
    const [, payload] = user.accessToken.split('.');
    const header = Buffer.from(
      JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: harness.config.jwtKeyId }),
    ).toString('base64url');
    const response = await me(`Bearer ${header}.${payload}.`);
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('AUTH.TOKEN_INVALID');
  });

  it('are refused when signed with another key', async () => {
    const user = await harness.registerAndLogin();
    const forged = await signWith(randomBytes(32).toString('hex'), { sub: user.user.id, role: 'admin' });
    expect((await me(`Bearer ${forged}`)).statusCode).toBe(401);
  });

  it('are refused when expired (AUTH.TOKEN_EXPIRED)', async () => {
    const user = await harness.registerAndLogin();
    const { config } = harness;
    const expired = await new SignJWT({ role: 'user' })
      .setProtectedHeader({ alg: 'HS256', kid: config.jwtKeyId, typ: 'at+jwt' })
      .setSubject(user.user.id)
      .setIssuer(config.jwtIssuer)
      .setAudience(config.jwtAudience)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(config.jwtSigningKey));
    const response = await me(`Bearer ${expired}`);
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('AUTH.TOKEN_EXPIRED');
  });

  it('are refused with the wrong audience, issuer or kid, even when signed with the right key', async () => {
    const user = await harness.registerAndLogin();
    const key = harness.config.jwtSigningKey;
    const wrongAudience = await new SignJWT({ role: 'user' })
      .setProtectedHeader({ alg: 'HS256', kid: harness.config.jwtKeyId, typ: 'at+jwt' })
      .setSubject(user.user.id)
      .setIssuer(harness.config.jwtIssuer)
      .setAudience('someone-else')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(key));
    expect((await me(`Bearer ${wrongAudience}`)).statusCode).toBe(401);
    const wrongKid = await signWith(key, { sub: user.user.id }, { kid: 'old-key' });
    expect((await me(`Bearer ${wrongKid}`)).statusCode).toBe(401);
    const rightOne = await signWith(key, { sub: user.user.id });
    expect((await me(`Bearer ${rightOne}`)).statusCode).toBe(200);
  });

  it('are refused when a refresh token is presented as an access token', async () => {
    const user = await harness.registerAndLogin();
    expect((await me(`Bearer ${user.refreshToken}`)).statusCode).toBe(401);
  });
});

describe('refresh', () => {
  it('rotates: the new pair works, and the old refresh token is refused afterwards', async () => {
    const user = await harness.registerAndLogin();
    const rotated = await post('/auth/refresh', { refresh_token: user.refreshToken });
    expect(rotated.statusCode).toBe(200);
    const next = rotated.json();
    expect(next.refresh_token).not.toBe(user.refreshToken);
    const me = await harness.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: `Bearer ${next.access_token}` },
    });
    expect(me.statusCode).toBe(200);
  });

  it('revokes the whole family when a rotated token is reused', async () => {
    const user = await harness.registerAndLogin();
    const second = (await post('/auth/refresh', { refresh_token: user.refreshToken })).json();
    const reuse = await post('/auth/refresh', { refresh_token: user.refreshToken });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('AUTH.REFRESH_TOKEN_REUSED');
    // The legitimate holder's current token died with the family.
    const afterTheft = await post('/auth/refresh', { refresh_token: second.refresh_token });
    expect(afterTheft.statusCode).toBe(401);
    expect(afterTheft.json().code).toBe('AUTH.REFRESH_TOKEN_INVALID');
  });

  it('refuses an unknown token and a malformed body', async () => {
    const unknown = await post('/auth/refresh', { refresh_token: randomBytes(32).toString('base64url') });
    expect(unknown.statusCode).toBe(401);
    expect((await post('/auth/refresh', { refresh_token: 'has spaces!' })).statusCode).toBe(422);
    expect((await post('/auth/refresh', {})).statusCode).toBe(422);
  });
});

describe('logout', () => {
  it('revokes the session: its refresh token no longer works; a second logout is harmless', async () => {
    const user = await harness.registerAndLogin();
    expect((await post('/auth/logout', { refresh_token: user.refreshToken })).statusCode).toBe(204);
    expect((await post('/auth/refresh', { refresh_token: user.refreshToken })).statusCode).toBe(401);
    expect((await post('/auth/logout', { refresh_token: user.refreshToken })).statusCode).toBe(204);
    expect((await post('/auth/logout', { token: 'x' })).statusCode).toBe(422);
  });
});
