import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compileErrors, validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COVERED_ROUTES } from '../support/covered-routes.js';
import { buildUnstartedApp } from '../support/unstarted-app.js';

interface Operation {
  security?: unknown[];
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: unknown;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
type OpenApiDocument = { openapi: string; paths: Record<string, Record<string, Operation>> };

let built: Awaited<ReturnType<typeof buildUnstartedApp>>;
let document: OpenApiDocument;

beforeAll(async () => {
  // The document needs no running dependency: the app is built and never started.
  built = await buildUnstartedApp();
  const response = await built.app.inject({ method: 'GET', url: '/docs/json' });
  expect(response.statusCode).toBe(200);
  document = response.json();
});

afterAll(async () => {
  await built?.close();
});

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of the document as `METHOD /path/:param`. */
function operations(): Array<[string, Operation]> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]): [string, Operation] => [
        `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`,
        operation,
      ]),
  );
}

const apiOperations = () => operations().filter(([name]) => name.split(' ')[1]?.startsWith('/api/v1/'));

describe('the OpenAPI document of the api', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it('puts every public route under /api/v1', () => {
    const outside = operations()
      .map(([name]) => name)
      .filter((name) => !/ \/(api\/v1|health|metrics|docs)\b/.test(name));
    expect(outside).toEqual([]);
    expect(apiOperations().length).toBeGreaterThanOrEqual(16);
  });

  it('gives every operation a success response schema and an error (problem) response', () => {
    for (const [name, operation] of apiOperations()) {
      const statuses = Object.keys(operation.responses ?? {});
      const success = statuses.find((status) => status.startsWith('2'));
      expect(success, `${name} has no 2xx response`).toBeDefined();
      if (success !== '204') {
        const content = operation.responses?.[success as string]?.content ?? {};
        expect(Object.keys(content).length, `${name} ${success} has no schema`).toBeGreaterThan(0);
      }
      expect(
        statuses.some((status) => status.startsWith('4')),
        `${name} documents no 4xx`,
      ).toBe(true);
    }
  });

  it('marks every route that needs a token with the bearer scheme', () => {
    const open = apiOperations()
      .filter(([, operation]) => !operation.security)
      .map(([name]) => name);
    expect(open.sort()).toEqual(
      [
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/logout',
        'POST /api/v1/auth/refresh',
        'POST /api/v1/auth/register',
      ].sort(),
    );
  });

  it('declares every error as application/problem+json, and 401 and 503 wherever they can happen', () => {
    for (const [name, operation] of apiOperations()) {
      const responses = operation.responses ?? {};
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400) {
          expect(Object.keys(response.content ?? {}), `${name} ${status}`).toEqual([
            'application/problem+json',
          ]);
        }
      }
      expect(responses, `${name} 503`).toHaveProperty('503');
      if (operation.security) expect(responses, `${name} 401`).toHaveProperty('401');
      if (operation.requestBody) {
        for (const status of ['400', '413', '415'])
          expect(responses, `${name} ${status}`).toHaveProperty(status);
      }
    }
    expect(document.paths['/api/v1/auth/login']?.post?.responses).toHaveProperty('429');
  });

  it('declares file downloads as bytes of their media types, not JSON (an original may be a document)', () => {
    const documentTypes =
      /^(application\/pdf|application\/vnd\.openxmlformats-officedocument\.wordprocessingml\.document|text\/plain|text\/markdown)$/;
    for (const file of ['original', 'result', 'thumbnail']) {
      const responses = document.paths[`/api/v1/media/{id}/${file}`]?.get?.responses ?? {};
      for (const status of ['200', '206']) {
        const content = responses[status]?.content ?? {};
        expect(Object.keys(content).length, `${file} ${status}`).toBeGreaterThan(0);
        for (const [type, media] of Object.entries(content)) {
          const allowed = /^image\//.test(type) || (file === 'original' && documentTypes.test(type));
          expect(allowed, `${file} ${status} ${type}`).toBe(true);
          expect(media.schema).toEqual({ type: 'string', format: 'binary' });
        }
        if (file === 'original') {
          expect(Object.keys(content)).toEqual(
            expect.arrayContaining(['image/jpeg', 'text/plain', 'application/pdf']),
          );
        } else {
          expect(Object.keys(content).filter((type) => documentTypes.test(type))).toEqual([]);
        }
      }
      expect(responses['304']?.content, `${file} 304 has no body`).toBeUndefined();
    }
  });

  it('documents the Idempotency-Key header on routes that honour it', () => {
    const register = document.paths['/api/v1/auth/register']?.post;
    expect(register?.parameters).toContainEqual(
      expect.objectContaining({ in: 'header', name: 'idempotency-key' }),
    );
  });

  it('has every operation covered by a test file (COVERED_ROUTES), and every listed file exists', () => {
    const covered = new Set(Object.values(COVERED_ROUTES).flat());
    const uncovered = apiOperations()
      .map(([name]) => name)
      .filter((name) => !covered.has(name));
    expect(uncovered, 'operations no test claims: add them to test/support/covered-routes.ts').toEqual([]);
    const known = new Set(apiOperations().map(([name]) => name));
    expect(
      [...covered].filter((name) => !known.has(name)),
      'claimed routes the document lacks',
    ).toEqual([]);
    for (const file of Object.keys(COVERED_ROUTES)) {
      const found = ['component', 'unit'].some((dir) =>
        existsSync(join(import.meta.dirname, '..', dir, file)),
      );
      expect(found, `${file} listed in COVERED_ROUTES does not exist`).toBe(true);
    }
  });
});
