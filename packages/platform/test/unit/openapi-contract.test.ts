import { Type } from 'typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { createHealth } from '../../src/health/health.js';
import { createHttpApp, type HttpApp } from '../../src/http/create-http-app.js';
import { STORABLE_TEXT_PATTERN } from '../../src/http/openapi-contract.js';
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
  app.put(
    '/notes',
    {
      schema: {
        querystring: Type.Object({ q: Type.Optional(Type.String()) }),
        headers: Type.Object({ 'x-tag': Type.Optional(Type.String()) }),
        body: Type.Object(
          {
            text: Type.String({ maxLength: 100 }),
            code: Type.String({ pattern: '^[a-z]+$' }),
            kind: Type.Union([Type.Literal('a'), Type.Literal('b')]),
            at: Type.String({ format: 'date-time' }),
            tags: Type.Array(Type.String()),
            meta: Type.Record(Type.String(), Type.String()),
          },
          { additionalProperties: false },
        ),
      },
    },
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

describe('texts in the request', () => {
  const storable = { pattern: STORABLE_TEXT_PATTERN };

  it('are declared without NUL (the guard refuses it) where nothing bounds them already', async () => {
    const { document } = await build();
    const put = document.paths['/notes']?.put as unknown as {
      parameters: Array<{ in: string; name: string; schema: Record<string, unknown> }>;
      requestBody: { content: { 'application/json': { schema: { properties: Record<string, object> } } } };
    };
    const body = put.requestBody.content['application/json'].schema;
    expect(body.properties.text).toMatchObject({ type: 'string', maxLength: 100, ...storable });
    expect(body.properties.code).toMatchObject({ pattern: '^[a-z]+$' });
    expect(body.properties.at).not.toHaveProperty('pattern');
    expect(JSON.stringify(body.properties.kind)).not.toContain(STORABLE_TEXT_PATTERN);
    expect(body.properties.tags).toMatchObject({ items: storable });
    expect(body.properties.meta).toMatchObject({ propertyNames: storable });
    expect(body).not.toHaveProperty('propertyNames');
    const query = put.parameters.find((parameter) => parameter.name === 'q');
    const header = put.parameters.find((parameter) => parameter.name === 'x-tag');
    expect(query?.schema).toMatchObject(storable);
    expect(header?.schema).not.toHaveProperty('pattern');
  });

  it('match what the guard does: a NUL is refused with 422, any other text taken', async () => {
    const pattern = new RegExp(STORABLE_TEXT_PATTERN, 'u');
    expect(pattern.test('caf\u00e9 \u{1f600}\n\t')).toBe(true);
    expect(pattern.test('a\u0000b')).toBe(false);
    const { app } = await build();
    const note = { text: 'a\u0000b', code: 'x', kind: 'a', at: '2026-12-04T00:00:00Z', tags: [], meta: {} };
    const refused = await app.inject({ method: 'PUT', url: '/notes', payload: note });
    expect(refused.statusCode).toBe(422);
    const taken = await app.inject({ method: 'PUT', url: '/notes', payload: { ...note, text: 'ab' } });
    expect(taken.statusCode).toBe(200);
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
