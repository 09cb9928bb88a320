import { newId } from '@flotilla/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../support/events.js';
import { startTestService, type TestService, testDatabaseName } from '../support/test-service.js';

let service: TestService;

beforeAll(async () => {
  service = await startTestService(testDatabaseName('dm_edges'));
});
afterAll(() => service?.close());

const id = newId();
const PROTECTED: Array<{ method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: unknown }> = [
  { method: 'POST', url: '/api/v1/analytics/events', payload: [makeEvent()] },
  { method: 'GET', url: '/api/v1/analytics/events' },
  { method: 'GET', url: '/api/v1/analytics/activity' },
  { method: 'GET', url: `/api/v1/analytics/users/${id}/activity` },
  { method: 'GET', url: '/api/v1/analytics/processing-times' },
  { method: 'GET', url: `/api/v1/analytics/users/${id}/processing-times` },
  { method: 'GET', url: '/api/v1/analytics/savings' },
  { method: 'GET', url: `/api/v1/analytics/users/${id}/savings` },
  { method: 'POST', url: `/api/v1/blobs?filename=a.txt&owner_id=${id}`, payload: 'hello' },
  { method: 'GET', url: `/api/v1/blobs/${id}` },
  { method: 'GET', url: `/api/v1/blobs/${id}/content` },
  { method: 'DELETE', url: `/api/v1/blobs/${id}` },
];

describe('service tokens', () => {
  it.each(PROTECTED)('$method $url answers 401 without a token', async (route) => {
    const response = await service.app.inject({ ...route, payload: route.payload as never });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
  });

  it.each(PROTECTED)('$method $url answers 403 with a wrong token', async (route) => {
    const response = await service.app.inject({
      ...route,
      payload: route.payload as never,
      headers: { authorization: `Bearer ${'x'.repeat(40)}` },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'AUTH.FORBIDDEN' });
  });

  it('stores nothing for a refused upload', async () => {
    const { db } = service.deps.mongo;
    expect(await db.collection('blobs.files').countDocuments()).toBe(0);
  });

  it('leaves probes, metrics and the API documentation open', async () => {
    for (const url of ['/health/live', '/health/ready', '/metrics', '/docs/json']) {
      const response = await service.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes every route with the bearer service-token scheme', async () => {
    const document = (await service.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(document.components.securitySchemes.serviceToken).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    const operations = [
      ['post', '/api/v1/analytics/events'],
      ['get', '/api/v1/analytics/events'],
      ['get', '/api/v1/analytics/activity'],
      ['get', '/api/v1/analytics/users/{user_id}/activity'],
      ['get', '/api/v1/analytics/processing-times'],
      ['get', '/api/v1/analytics/users/{user_id}/processing-times'],
      ['get', '/api/v1/analytics/savings'],
      ['get', '/api/v1/analytics/users/{user_id}/savings'],
      ['post', '/api/v1/blobs'],
      ['get', '/api/v1/blobs/{id}'],
      ['delete', '/api/v1/blobs/{id}'],
      ['get', '/api/v1/blobs/{id}/content'],
    ] as const;
    for (const [method, path] of operations) {
      const operation = document.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation.security).toEqual([{ serviceToken: [] }]);
    }
    expect(document.paths['/health/ready']).toBeUndefined();
  });
});

describe('unknown routes', () => {
  it('answer 404 problem+json to an authenticated caller', async () => {
    const response = await service.app.inject({
      method: 'GET',
      url: '/api/v1/nothing',
      headers: service.auth,
    });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'ROUTE.NOT_FOUND' });
  });
});

describe('metrics', () => {
  it('label requests by caller and time MongoDB operations by name', async () => {
    await service.app.inject({ method: 'GET', url: '/api/v1/analytics/savings', headers: service.auth });
    const text = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toContain('http_requests_by_caller_total{caller="api",route="/api/v1/analytics/savings"');
    expect(text).toMatch(
      /mongo_operation_duration_seconds_count\{[^}]*operation="analytics.savings",outcome="ok"\} 1/,
    );
    expect(text).toMatch(
      /mongo_operation_duration_seconds_count\{[^}]*operation="indexes.ensure",outcome="ok"\} 1/,
    );
    expect(text).toContain('# TYPE blob_bytes_total counter');
  });
});
