import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealth } from '../../src/health/health.js';
import { createHttpApp, type HttpApp } from '../../src/http/create-http-app.js';
import { createLogger } from '../../src/logging/logger.js';
import { createMetrics } from '../../src/metrics/registry.js';

let app: HttpApp;

beforeAll(async () => {
  app = await createHttpApp({
    service: 'test',
    version: '1.0.0',
    logger: createLogger({ service: 'test', version: '1.0.0', level: 'silent' }),
    metrics: createMetrics({ service: 'test', version: '1.0.0' }),
    health: createHealth(),
    bodyLimit: 1024,
  });
  const Linked = Type.Object(
    {
      telegram_id: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
      count: Type.Optional(Type.Integer()),
    },
    { additionalProperties: false },
  );
  app.post('/links', { schema: { body: Linked } }, async (request) => request.body);
  app.get(
    '/pages',
    { schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1 }), all: Type.Boolean() }) } },
    async (request) => request.query,
  );
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

describe('request validation', () => {
  it('refuses a JSON body value outside its schema instead of coercing it to null', async () => {
    const response = await app.inject({ method: 'POST', url: '/links', payload: { telegram_id: 0 } });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: '/body/telegram_id' })]),
    );
  });

  it('takes a JSON body as sent: a number in a string is not a number', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/links',
      payload: { telegram_id: null, count: '5' },
    });
    expect(response.statusCode).toBe(422);
    const accepted = await app.inject({ method: 'POST', url: '/links', payload: { telegram_id: 7 } });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toEqual({ telegram_id: 7 });
  });

  it('still reads query strings as the types their schema names', async () => {
    const response = await app.inject({ method: 'GET', url: '/pages?limit=5&all=true' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ limit: 5, all: true });
  });
});
