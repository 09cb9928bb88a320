import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUnstartedApp } from '../support/unstarted-app.js';

let built: Awaited<ReturnType<typeof buildUnstartedApp>>;

beforeAll(async () => {
  built = await buildUnstartedApp({ CORS_ORIGINS: 'https://app.example', HTTP_BODY_LIMIT_BYTES: '4096' });
});

afterAll(async () => {
  await built?.close();
});

const preflight = (origin: string) =>
  built.app.inject({
    method: 'OPTIONS',
    url: '/api/v1/users/me',
    headers: {
      origin,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization',
    },
  });

describe('HTTP defaults of the api', () => {
  it('allows cross-origin calls only from the configured origins', async () => {
    const allowed = await preflight('https://app.example');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(String(allowed.headers['access-control-allow-headers'])).toContain('authorization');
    const refused = await preflight('https://evil.example');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no CORS headers at all when no origin is configured', async () => {
    const strict = await buildUnstartedApp();
    try {
      const response = await strict.app.inject({
        method: 'GET',
        url: '/health/live',
        headers: { origin: 'https://app.example' },
      });
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await strict.close();
    }
  });

  it('answers an oversized body with 413 problem+json, before any handler', async () => {
    const response = await built.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'a@example.test', password: 'x'.repeat(8192) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('answers malformed JSON with 400 problem+json and no stack trace', async () => {
    const response = await built.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('REQUEST.MALFORMED_BODY');
    expect(response.body).not.toMatch(/\n\s+at /);
  });

  it('refuses a malformed Idempotency-Key with 422 and its field path before doing anything', async () => {
    const response = await built.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'idempotency-key': 'x'.repeat(300) },
      payload: { email: 'k@example.test', username: 'someone', password: 'long-enough-password' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().code).toBe('REQUEST.VALIDATION');
    expect(response.json().errors).toEqual([expect.objectContaining({ field: '/headers/idempotency-key' })]);
  });
});
