import { Type } from 'typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { getRequestId } from '../../src/context/request-context.js';
import { defineErrors } from '../../src/errors/domain-error.js';
import { createHealth } from '../../src/health/health.js';
import { createHttpApp, type HttpApp } from '../../src/http/create-http-app.js';
import { createLogger } from '../../src/logging/logger.js';
import { createMetrics } from '../../src/metrics/registry.js';

const errors = defineErrors({
  TOO_LARGE: { code: 'MEDIA.TOO_LARGE', kind: 'too_large', title: 'File too large' },
  NOT_FOUND: { code: 'MEDIA.NOT_FOUND', kind: 'not_found', title: 'No such media' },
});

let app: HttpApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(options: { bodyLimit?: number; failingCheck?: boolean } = {}) {
  const health = createHealth({ checkTimeoutMs: 200 });
  health.addCheck('always', async () => {});
  if (options.failingCheck)
    health.addCheck('database', async () => Promise.reject(new Error('connection refused')));
  const metrics = createMetrics({ service: 'test', version: '1.0.0' });
  app = await createHttpApp({
    service: 'test',
    version: '1.0.0',
    logger: createLogger({ service: 'test', version: '1.0.0', level: 'silent' }),
    metrics,
    health,
    bodyLimit: options.bodyLimit ?? 1024,
    openapi: { title: 'Test' },
  });
  app.post(
    '/items',
    {
      schema: {
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 10 }), count: Type.Integer({ minimum: 1 }) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ name: Type.String(), request_id: Type.String() }) },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return { name: request.body.name, request_id: getRequestId() ?? 'none' };
    },
  );
  app.get('/items/:id', async () => {
    throw errors.NOT_FOUND({ detail: 'No media with that id' });
  });
  app.get('/big', async () => {
    throw errors.TOO_LARGE({ detail: '12 MB is over the 10 MB limit', data: { limit_bytes: 10 } });
  });
  app.get('/boom', async () => {
    throw new Error('secret internal detail at /srv/app.js:12');
  });
  await app.ready();
  return { app, health, metrics };
}

describe('createHttpApp', () => {
  it('echoes a valid X-Request-ID and exposes it to handlers through the context', async () => {
    const { app } = await build();
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { 'x-request-id': 'abc-123' },
      payload: { name: 'pen', count: 1 },
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['x-request-id']).toBe('abc-123');
    expect(response.json()).toEqual({ name: 'pen', request_id: 'abc-123' });
  });

  it('answers validation failures with 422 problem+json listing every field path', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'POST', url: '/items', payload: { name: '', extra: true } });
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const body = response.json();
    expect(body).toMatchObject({ status: 422, code: 'REQUEST.VALIDATION', instance: '/items' });
    const fields = body.errors.map((error: { field: string }) => error.field).sort();
    expect(fields).toEqual(['/body/count', '/body/extra', '/body/name']);
  });

  it('refuses the NUL character in any text of the body, query or path with 422 and its field paths', async () => {
    const { app } = await build();
    const body = await app.inject({
      method: 'POST',
      url: '/items',
      payload: { name: 'pe\u0000n', count: 1 },
    });
    expect(body.statusCode).toBe(422);
    expect(body.json()).toMatchObject({
      code: 'REQUEST.VALIDATION',
      errors: [{ field: '/body/name', message: 'must not contain the NUL character (U+0000)' }],
    });
    const query = await app.inject({ method: 'GET', url: '/items/1?q=a%00b' });
    expect(query.statusCode).toBe(422);
    expect(query.json().errors).toEqual([{ field: '/query/q', message: expect.stringContaining('NUL') }]);
    const path = await app.inject({ method: 'GET', url: '/items/a%00b' });
    expect(path.statusCode).toBe(422);
    expect(path.json().errors[0].field).toBe('/params/id');
    // Other control characters are the schemas' business: the route runs.
    const tab = await app.inject({ method: 'POST', url: '/items', payload: { name: 'a\tb', count: 1 } });
    expect(tab.statusCode).toBe(201);
  });

  it('answers malformed JSON with 400 and an oversized body with 413', async () => {
    const { app } = await build({ bodyLimit: 1024 });
    const malformed = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('REQUEST.MALFORMED_BODY');
    const oversized = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(5000), count: 1 }),
    });
    expect(oversized.statusCode).toBe(413);
    expect(oversized.json().code).toBe('REQUEST.BODY_TOO_LARGE');
  });

  it('answers an unsupported content type with 415', async () => {
    const { app } = await build();
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { 'content-type': 'application/x-unknown' },
      payload: 'abc',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().code).toBe('REQUEST.UNSUPPORTED_MEDIA_TYPE');
  });

  it('maps domain errors by kind, keeping their code, detail and data', async () => {
    const { app } = await build();
    const notFound = await app.inject({ method: 'GET', url: '/items/42' });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json()).toMatchObject({
      type: 'urn:flotilla:problem:media.not-found',
      code: 'MEDIA.NOT_FOUND',
      detail: 'No media with that id',
    });
    const tooLarge = await app.inject({ method: 'GET', url: '/big' });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toMatchObject({ code: 'MEDIA.TOO_LARGE', limit_bytes: 10 });
  });

  it('never shows an unknown error to the client', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret internal detail');
    expect(response.body).not.toContain('app.js');
    expect(response.json()).toMatchObject({ code: 'INTERNAL', status: 500 });
  });

  it('answers unknown routes with a 404 problem', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'ROUTE.NOT_FOUND', instance: '/nope' });
  });

  it('reports readiness from its checks, and 503 once shutdown starts', async () => {
    const { app, health } = await build();
    const live = await app.inject({ method: 'GET', url: '/health/live' });
    expect(live.json()).toMatchObject({ status: 'alive', service: 'test', version: '1.0.0' });
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.always.status).toBe('up');
    health.markShuttingDown();
    const draining = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(draining.statusCode).toBe(503);
    expect(draining.json().status).toBe('shutting_down');
  });

  it('answers 503 on readiness when a dependency check fails', async () => {
    const { app } = await build({ failingCheck: true });
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks.database).toMatchObject({ status: 'down', error: 'connection refused' });
  });

  it('exposes RED metrics labelled by route template, never by raw path', async () => {
    const { app } = await build();
    await app.inject({ method: 'GET', url: '/items/123' });
    await app.inject({ method: 'GET', url: '/items/456' });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain(
      'http_requests_total{method="GET",route="/items/:id",status_code="404",service="test"} 2',
    );
    expect(metrics.body).not.toContain('/items/123');
    expect(metrics.body).toContain('process_resident_memory_bytes');
  });

  it('serves an OpenAPI document at /docs/json', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const spec = response.json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toContain('/items');
    expect(Object.keys(spec.paths)).not.toContain('/health/live');
  });
});

describe('problem details', () => {
  it("never let an error's data overwrite the reserved members", async () => {
    const overriding = defineErrors({ X: { code: 'JOB.X', kind: 'conflict', title: 'Conflict' } });
    const app = await createHttpApp({
      service: 'test',
      version: '1',
      logger: createLogger({ service: 'test', version: '1', level: 'silent' }),
      metrics: createMetrics({ service: 'test', version: '1' }),
      health: createHealth(),
      bodyLimit: 1024,
    });
    app.get('/x', async () => {
      throw overriding.X({
        data: { status: 'queued', code: 'OTHER', type: 'x', title: 't', job_state: 'queued' },
      });
    });
    const response = await app.inject({ url: '/x' });
    await app.close();
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({
      status: 409,
      code: 'JOB.X',
      title: 'Conflict',
      job_state: 'queued',
    });
  });
});
