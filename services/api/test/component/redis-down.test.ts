import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../tests/e2e/helpers/service-process.js';
import { type ApiHarness, startApiHarness, type TestUser } from '../support/api-harness.js';

// Two api instances on the same data services and signing key: one with Redis, one whose Redis is
// unreachable (a port nobody listens on).
let healthy: ApiHarness;
let broken: ApiHarness;
let alice: TestUser;

beforeAll(async () => {
  healthy = await startApiHarness({ label: 'api-redis-up' });
  alice = await healthy.registerAndLogin();
  broken = await startApiHarness({
    label: 'api-redis-down',
    services: healthy.services,
    waitForRedis: false,
    env: {
      JWT_SIGNING_KEY: healthy.config.jwtSigningKey,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}/0`,
    },
  });
}, 90_000);

afterAll(async () => {
  await broken?.stop();
  await healthy?.stop();
}, 30_000);

describe('with Redis down', () => {
  it('profile reads fall back to the data service (the cache fails open)', async () => {
    const response = await broken.inject({ method: 'GET', url: '/api/v1/users/me', headers: alice.headers });
    expect(response.statusCode).toBe(200);
    expect(response.json().id).toBe(alice.user.id);
  });

  it('login is refused with 503 (the rate limiter fails closed)', async () => {
    const response = await broken.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: alice.email, password: alice.password },
    });
    expect(response.statusCode).toBe(503);
    expect(response.json().code).toBe('AUTH.LIMITER_UNAVAILABLE');
  });

  it('a request with an Idempotency-Key is refused with 503 rather than risk a double write', async () => {
    const suffix = randomBytes(4).toString('hex');
    const response = await broken.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'idempotency-key': `k-${suffix}` },
      payload: {
        email: `r-${suffix}@example.test`,
        username: `r_${suffix}`,
        password: 'long-enough-password',
      },
    });
    expect(response.statusCode).toBe(503);
    expect(response.json().code).toBe('IDEMPOTENCY.UNAVAILABLE');
  });

  it('reports not ready', async () => {
    const response = await broken.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks.redis.status).toBe('down');
  });
});
