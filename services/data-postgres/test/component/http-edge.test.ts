import { randomBytes } from 'node:crypto';
import { type DomainError, isDomainError } from '@flotilla/platform';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadDataPostgresConfig } from '../../src/config.js';
import { createDeps } from '../../src/deps.js';
import { createUser } from '../helpers/fixtures.js';
import { createTestService, type TestService } from '../helpers/test-service.js';

let service: TestService;
beforeAll(async () => {
  service = await createTestService();
});
afterAll(async () => service?.close());

describe('service token authentication', () => {
  it('answers 401 without a token and 403 with a wrong one, as problem+json', async () => {
    const missing = await service.app.inject({ url: '/api/v1/users' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.json().code).toBe('AUTH.UNAUTHENTICATED');
    const wrong = await service.app.inject({
      url: '/api/v1/users',
      headers: { authorization: `Bearer ${randomBytes(24).toString('base64url')}` },
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().code).toBe('AUTH.FORBIDDEN');
    const write = await service.app.inject({
      method: 'POST',
      url: '/api/v1/media-jobs/x/claim',
      payload: {},
    });
    expect(write.statusCode).toBe(401);
  });

  it('counts requests by calling service', async () => {
    await service.app.inject({ url: '/api/v1/users?limit=1', headers: service.auth });
    const metrics = await service.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(
      /http_requests_by_caller_total\{caller="api",route="\/api\/v1\/users",status_code="200"/,
    );
  });
});

describe('bad input never causes a 500', () => {
  const cases: Array<[string, 'POST' | 'PATCH' | 'GET', string, string | object | undefined, string?]> = [
    ['malformed JSON', 'POST', '/api/v1/media-jobs', '{"owner_id":', 'application/json'],
    ['an array body', 'POST', '/api/v1/users', [], undefined],
    ['a string where an object belongs', 'POST', '/api/v1/documents', '"hello"', 'application/json'],
    [
      'an unknown field',
      'POST',
      '/api/v1/refresh-tokens/rotate',
      { token_hash: 'a'.repeat(64), replacement: {}, x: 1 },
    ],
    [
      'a wrong type',
      'PATCH',
      '/api/v1/documents/0190a6e4-0000-7000-8000-000000000000',
      { chunk_count: 'many' },
    ],
    [
      'a huge number',
      'POST',
      '/api/v1/media-jobs/0190a6e4-0000-7000-8000-000000000000/claim',
      { lease_owner: 'w', lease_seconds: 1e30 },
    ],
    ['a form body', 'POST', '/api/v1/users', 'email=a@b.c', 'application/x-www-form-urlencoded'],
    ['a bad query', 'GET', '/api/v1/media-jobs?status=lost&limit=ten', undefined],
    ['a bad cursor', 'GET', '/api/v1/documents?cursor=%%%', undefined],
    [
      'an over-long field',
      'POST',
      '/api/v1/documents',
      {
        owner_id: '0190a6e4-0000-7000-8000-000000000000',
        title: 'x'.repeat(300),
        content_type: 'text/plain',
      },
    ],
  ];

  it.each(cases)('%s answers a 4xx problem', async (_name, method, url, payload, contentType) => {
    const response = await service.app.inject({
      method,
      url,
      headers: { ...service.auth, ...(contentType && { 'content-type': contentType }) },
      ...(payload !== undefined && { payload: payload as string }),
    });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: response.statusCode, code: expect.any(String) });
  });
});

describe('operations', () => {
  it('is ready while PostgreSQL answers, and times queries by operation name (never SQL text)', async () => {
    const ready = await service.app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.postgres.status).toBe('up');
    await createUser(service);
    const metrics = (await service.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(
      /db_query_duration_seconds_bucket\{le="[0-9.]+",service="data-postgres",operation="users\.insert",outcome="ok"\}/,
    );
    expect(metrics).not.toMatch(/operation="[^"]*(select |insert into|\$1)/i);
  });

  it('serves an OpenAPI document with the bearer scheme and every resource', async () => {
    const response = await service.app.inject({ url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const spec = response.json();
    expect(spec.components.securitySchemes.serviceToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const path of [
      '/api/v1/users/{id}',
      '/api/v1/users/by-email/{email}/credentials',
      '/api/v1/refresh-tokens/rotate',
      '/api/v1/media-jobs/{id}/claim',
      '/api/v1/media-jobs/stale-queued',
      '/api/v1/documents/{id}',
    ]) {
      expect(spec.paths[path], path).toBeDefined();
    }
    expect(spec.paths['/api/v1/users/{id}'].patch.security).toEqual([{ serviceToken: [] }]);
  });
});

describe('when PostgreSQL cannot be reached', () => {
  it('starts anyway, reports not ready and answers 503 DB.UNAVAILABLE', async () => {
    const token = randomBytes(24).toString('base64url');
    const config = loadDataPostgresConfig({
      LOG_LEVEL: 'silent',
      POSTGRES_URL: 'postgres://nobody:secret@127.0.0.1:1/none',
      POSTGRES_CONNECT_TIMEOUT_MS: '500',
      SERVICE_TOKENS: `api:${token}`,
    });
    const deps = createDeps(config);
    const app = await buildApp(deps);
    try {
      const ready = await app.inject({ url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.postgres.status).toBe('down');
      const response = await app.inject({
        url: '/api/v1/users',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.statusCode).toBe(503);
      expect(response.json().code).toBe('DB.UNAVAILABLE');
      expect(response.body).not.toContain('secret');
    } finally {
      await app.close();
      for (const closer of deps.closers) await closer.close();
    }
  });
});

describe('a query slower than POSTGRES_STATEMENT_TIMEOUT_MS', () => {
  it('is cancelled by PostgreSQL and reported as DB.TIMEOUT (a 503)', async () => {
    const slow = await createTestService({ POSTGRES_STATEMENT_TIMEOUT_MS: '200' });
    try {
      const started = performance.now();
      const error = await sql`select pg_sleep(2)`
        .execute(slow.deps.database.db)
        .catch((caught: unknown) => caught);
      expect(isDomainError(error, 'DB.TIMEOUT')).toBe(true);
      expect((error as DomainError).kind).toBe('unavailable');
      // The wait, in whole seconds, is the answer's Retry-After: the service clients do not retry a
      // 503 asking for longer than their backoff cap.
      expect((error as DomainError).data).toEqual({ retry_after_seconds: 1 });
      expect(performance.now() - started).toBeLessThan(1500);
      expect((await slow.app.inject({ url: '/health/ready' })).statusCode).toBe(200);
    } finally {
      await slow.close();
    }
  });
});
