import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runWithContext } from '../../src/context/request-context.js';
import { parseProblem, UpstreamHttpError } from '../../src/http/client/client-errors.js';
import { resolveClientOptions } from '../../src/http/client/client-options.js';
import {
  appendQuery,
  buildHeaders,
  currentOrNewRequestId,
  describeRoute,
  encodeBody,
  fillPathTemplate,
} from '../../src/http/client/outgoing-request.js';
import { decodeBody } from '../../src/http/client/response-body.js';

describe('paths and route labels', () => {
  it('fills path templates with encoded values and refuses a missing one', () => {
    expect(fillPathTemplate('/users/:id/files/:fileId', { id: 'a/b', fileId: 7 })).toBe(
      '/users/a%2Fb/files/7',
    );
    expect(() => fillPathTemplate('/users/:id', {})).toThrow('Missing path parameter "id"');
  });

  it('appends query values, repeating arrays and skipping empty ones', () => {
    expect(appendQuery('/items', { limit: 10, tag: ['a', 'b'], q: 'x y', skip: undefined, none: null })).toBe(
      '/items?limit=10&tag=a&tag=b&q=x+y',
    );
    expect(appendQuery('/items', { skip: undefined })).toBe('/items');
  });

  it('labels a call by its template, never by the ids in it', () => {
    expect(describeRoute('/users/:id', { params: { id: 1 } })).toBe('/users/:id');
    expect(describeRoute('/users/42', { routeTemplate: '/users/{id}' })).toBe('/users/{id}');
    expect(describeRoute('/users/42/files/0190a8d4-6b3e-7c1d-9a2b-3c4d5e6f7a8b?x=1', {})).toBe(
      '/users/:id/files/:id',
    );
    expect(describeRoute('/health/ready', {})).toBe('/health/ready');
  });
});

describe('bodies and headers', () => {
  it('JSON-encodes values, sends bytes as is and streams Readables', () => {
    expect(encodeBody(undefined)).toEqual({ kind: 'none' });
    expect(encodeBody({ a: 1 })).toEqual({ kind: 'bytes', data: '{"a":1}', contentType: 'application/json' });
    expect(encodeBody('text')).toEqual({ kind: 'bytes', data: '"text"', contentType: 'application/json' });
    expect(encodeBody(Buffer.from('x')).kind).toBe('bytes');
    expect(encodeBody(Readable.from(['x'])).kind).toBe('stream');
  });

  it('keeps the caller content type but owns authorization, request id and user agent', () => {
    const headers = buildHeaders({
      callerName: 'worker',
      serviceToken: 't0k',
      requestId: 'r-1',
      body: encodeBody({ a: 1 }),
      headers: {
        'Content-Type': 'application/merge-patch+json',
        Authorization: 'Bearer other',
        'X-Extra': '1',
      },
    });
    expect(headers).toEqual({
      'content-type': 'application/merge-patch+json',
      authorization: 'Bearer t0k',
      'x-request-id': 'r-1',
      'user-agent': 'flotilla-worker',
      'x-extra': '1',
    });
  });

  it('takes the request id from the context', () => {
    expect(runWithContext({ requestId: 'ctx-1' }, () => currentOrNewRequestId())).toBe('ctx-1');
    expect(currentOrNewRequestId()).not.toBe(currentOrNewRequestId());
  });

  it('decodes JSON and problem+json bodies, text otherwise, and nothing for an empty body', () => {
    expect(decodeBody(Buffer.from('{"a":1}'), { 'content-type': 'application/problem+json' })).toEqual({
      a: 1,
    });
    expect(decodeBody(Buffer.from('hi'), { 'content-type': 'text/plain' })).toBe('hi');
    expect(decodeBody(Buffer.alloc(0), { 'content-type': 'application/json' })).toBeUndefined();
    expect(() => decodeBody(Buffer.from('{'), { 'content-type': 'application/json' })).toThrow(SyntaxError);
  });
});

describe('upstream errors', () => {
  it('reads problem details and drops fields of the wrong type', () => {
    expect(parseProblem({ title: 'Nope', status: '404', code: 'X.Y', errors: 'bad' })).toEqual({
      title: 'Nope',
      code: 'X.Y',
    });
    expect(parseProblem('<html>')).toBeUndefined();
    expect(parseProblem({ ok: true })).toBeUndefined();
  });

  it('makes a 5xx or 429 unavailable and any other status internal', () => {
    const error = (status: number) =>
      new UpstreamHttpError({ upstream: 'data-x', method: 'GET', route: '/a', status, body: undefined });
    expect(error(503).kind).toBe('unavailable');
    expect(error(429).kind).toBe('unavailable');
    expect(error(404).kind).toBe('internal');
    expect(error(404).detail).toBe('data-x answered 404 to GET /a');
  });
});

describe('resolveClientOptions', () => {
  it('splits the base URL into origin and path prefix and fills defaults', () => {
    const resolved = resolveClientOptions({
      name: 'd',
      baseUrl: 'http://127.0.0.1:8001/v1/',
      callerName: 'api',
    });
    expect(resolved).toMatchObject({
      origin: 'http://127.0.0.1:8001',
      basePath: '/v1',
      retry: { retries: 2, baseDelayMs: 100, maxDelayMs: 2000 },
      breaker: { failureThreshold: 5, halfOpenAfterMs: 10_000 },
    });
    expect(() => resolveClientOptions({ name: 'd', baseUrl: 'ftp://x', callerName: 'api' })).toThrow(
      TypeError,
    );
  });
});
