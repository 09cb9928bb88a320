import { afterEach, describe, expect, it } from 'vitest';
import { getContext } from '../../src/context/request-context.js';
import { createHealth } from '../../src/health/health.js';
import { createHttpApp, type HttpApp } from '../../src/http/create-http-app.js';
import { installServiceAuth } from '../../src/http/service-auth.js';
import { createLogger } from '../../src/logging/logger.js';
import { createMetrics } from '../../src/metrics/registry.js';

const apiToken = 'a'.repeat(40);
const workerToken = 'w'.repeat(40);
let app: HttpApp | undefined;

afterEach(async () => {
  await app?.close();
});

async function build() {
  const metrics = createMetrics({ service: 'data-test', version: '1' });
  app = await createHttpApp({
    service: 'data-test',
    version: '1',
    logger: createLogger({ service: 'data-test', version: '1', level: 'silent' }),
    metrics,
    health: createHealth(),
    bodyLimit: 1024,
  });
  installServiceAuth(app, {
    tokens: new Map([
      ['api', apiToken],
      ['worker', workerToken],
    ]),
    registry: metrics.registry,
  });
  app.get('/api/v1/things', async (request) => ({ caller: request.caller, context: getContext()?.caller }));
  await app.ready();
  return app;
}

describe('service token authentication', () => {
  it('identifies the calling service from its token', async () => {
    const app = await build();
    const response = await app.inject({
      url: '/api/v1/things',
      headers: { authorization: `Bearer ${workerToken}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ caller: 'worker', context: 'worker' });
    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.body).toContain(
      'http_requests_by_caller_total{caller="worker",route="/api/v1/things",status_code="200"',
    );
  });

  it('answers 401 without a bearer token and 403 with a wrong one', async () => {
    const app = await build();
    const missing = await app.inject({ url: '/api/v1/things' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('AUTH.UNAUTHENTICATED');
    const basic = await app.inject({
      url: '/api/v1/things',
      headers: { authorization: `Basic ${apiToken}` },
    });
    expect(basic.statusCode).toBe(401);
    const wrong = await app.inject({
      url: '/api/v1/things',
      headers: { authorization: `Bearer ${apiToken}x` },
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().code).toBe('AUTH.FORBIDDEN');
    expect(wrong.body).not.toContain(apiToken);
  });

  it('leaves probes and metrics open, but not unknown routes', async () => {
    const app = await build();
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/livex' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/metricsx' })).statusCode).toBe(401);
  });
});
