import { Type } from 'typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { createHealth } from '../../src/health/health.js';
import { createHttpApp, type HttpApp } from '../../src/http/create-http-app.js';
import { createLogger } from '../../src/logging/logger.js';
import { createMetrics } from '../../src/metrics/registry.js';

const ProblemSchema = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() },
  { additionalProperties: true, $id: 'Problem' },
);

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }>; headers?: object }>;
}

let app: HttpApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(commonResponses?: { byPathPrefix?: Record<string, number[]> }) {
  app = await createHttpApp({
    service: 'test',
    version: '1.0.0',
    logger: createLogger({ service: 'test', version: '1.0.0', level: 'silent' }),
    metrics: createMetrics({ service: 'test', version: '1.0.0' }),
    health: createHealth(),
    bodyLimit: 1024,
    openapi: {
      title: 'Test',
      securitySchemes: { token: { type: 'http', scheme: 'bearer' } },
      contract: { problemSchema: ProblemSchema, ...(commonResponses && { commonResponses }) },
    },
  });
  app.post(
    '/things',
    {
      schema: {
        security: [{ token: [] }],
        body: Type.Object({ name: Type.String() }),
        response: { 201: Type.Object({ name: Type.String() }), 409: ProblemSchema },
      },
    },
    async (request, reply) => reply.status(201).send({ name: request.body.name }),
  );
  app.get(
    '/things/:id',
    { schema: { params: Type.Object({ id: Type.String({ maxLength: 36 }) }) } },
    async () => ({ ok: true }),
  );
  const response = await app.inject({ method: 'GET', url: '/docs/json' });
  const document = response.json() as {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, unknown> };
  };
  return { app, document };
}

describe('the exact OpenAPI document', () => {
  it('declares every error answer as application/problem+json with the one problem schema', async () => {
    const { document } = await build();
    expect(document.components.schemas.Problem).toMatchObject({
      type: 'object',
      required: expect.any(Array),
    });
    for (const item of Object.values(document.paths)) {
      for (const operation of Object.values(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          expect(Object.keys(response.content ?? {}), `${status}`).toEqual(['application/problem+json']);
          expect(response.content?.['application/problem+json']?.schema).toEqual({
            $ref: '#/components/schemas/Problem',
          });
        }
      }
    }
  });

  it('adds the statuses of the shared hooks: body, path parameters, security, and every operation', async () => {
    const { document } = await build();
    const post = Object.keys(document.paths['/things']?.post?.responses ?? {}).sort();
    expect(post).toEqual(['201', '400', '401', '409', '413', '415', '422', '503']);
    const get = Object.keys(document.paths['/things/{id}']?.get?.responses ?? {}).sort();
    expect(get).toEqual(['200', '400', '404', '414', '422', '503']);
    expect(document.paths['/things']?.post?.responses['503']?.headers).toHaveProperty('retry-after');
  });

  it('adds the statuses a service names for a path prefix (a rate-limited area)', async () => {
    const { document } = await build({ byPathPrefix: { '/things': [429] } });
    expect(document.paths['/things']?.post?.responses).toHaveProperty('429');
    expect(document.paths['/things/{id}']?.get?.responses).toHaveProperty('429');
  });
});

describe("the router's own errors", () => {
  it('answers a path parameter longer than the router takes with 414 problem+json and the request id', async () => {
    const { app } = await build();
    const response = await app.inject({ method: 'GET', url: `/things/${'a'.repeat(150)}` });
    expect(response.statusCode).toBe(414);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['x-request-id']).toBeTruthy();
    expect(response.json()).toMatchObject({ status: 414, code: 'REQUEST.BAD_REQUEST' });
  });
});
