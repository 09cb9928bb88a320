import { PROBLEM_CONTENT_TYPE } from '../errors/problem.js';

/**
 * Statuses every operation of a service can answer because of shared hooks and edges rather than its
 * own handler, added to the OpenAPI document in one place so no route has to repeat them.
 */
export interface CommonResponses {
  /** Statuses of every operation (default 422: validation and unstorable text; 503: shutting down or a dependency down). */
  every?: readonly number[];
  /** Statuses of operations with a request body (default 400 malformed body, 413 too large, 415 unsupported type). */
  withBody?: readonly number[];
  /**
   * Statuses of operations with path parameters (default 400 a path that cannot be decoded, 404 no such
   * resource, 414 a parameter longer than the router takes).
   */
  withPathParams?: readonly number[];
  /** Statuses of operations with a `security` requirement (default 401: no or a bad credential). */
  withSecurity?: readonly number[];
  /** Extra statuses of the operations whose path starts with a prefix (say a rate-limited `/api/v1/auth/`). */
  byPathPrefix?: Readonly<Record<string, readonly number[]>>;
}

/** The defaults of {@link CommonResponses}, from the platform's own hooks (validation, body parsing, shutdown). */
export const DEFAULT_COMMON_RESPONSES: Required<Omit<CommonResponses, 'byPathPrefix'>> = {
  every: [422, 503],
  withBody: [400, 413, 415],
  withPathParams: [400, 404, 414],
  withSecurity: [401],
};

/** Name of the problem+json schema under `components.schemas`. */
export const PROBLEM_SCHEMA_NAME = 'Problem';

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Reason phrases of the statuses the shared layer declares (the rest keep the generator's text). */
const REASONS: Record<number, string> = {
  400: 'The request could not be parsed',
  401: 'No credential, or one that is not valid',
  403: 'The credential does not allow this',
  404: 'No such resource (or route)',
  413: 'The request body is too large',
  414: 'A path parameter is too long',
  415: 'The request body has an unsupported content type',
  422: 'The request is not valid (field errors in `errors`)',
  429: 'Too many requests (see Retry-After)',
  502: 'The gateway could not reach the service',
  503: 'The service or one of its dependencies is unavailable (see Retry-After)',
  504: 'The gateway timed out waiting for the service',
};

interface ResponseObject {
  description?: string;
  content?: Record<string, { schema?: unknown }>;
  headers?: Record<string, unknown>;
}

interface OperationObject {
  parameters?: Array<{ in?: string; schema?: unknown }>;
  requestBody?: unknown;
  security?: unknown[];
  responses?: Record<string, ResponseObject>;
}

interface OpenApiDocumentObject {
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown> };
}

/**
 * The pattern a request text is declared with when its schema has no pattern, format or fixed values of
 * its own: the shared guard (`rejectUnstorableText`) refuses the NUL character (U+0000) in every text of a
 * body, query or path, so the document says so and a client (or a fuzzer) knows such a text is invalid.
 */
export const STORABLE_TEXT_PATTERN = '^[^\\u0000]*$';

const COMPONENT_PREFIX = '#/components/schemas/';
/** Keywords whose values are data, not schemas. */
const NOT_SCHEMAS = new Set(['enum', 'const', 'default', 'example', 'examples', 'required', 'propertyNames']);
/** Keywords that already bound a text more tightly than "no NUL". */
const BOUNDED_TEXT = ['pattern', 'format', 'enum', 'const', 'contentMediaType', 'contentEncoding'];

function declareStorableText(schema: unknown, components: Record<string, unknown>, seen: Set<object>): void {
  if (typeof schema !== 'object' || schema === null || seen.has(schema)) return;
  seen.add(schema);
  if (Array.isArray(schema)) {
    for (const item of schema) declareStorableText(item, components, seen);
    return;
  }
  const node = schema as Record<string, unknown>;
  if (typeof node.$ref === 'string' && node.$ref.startsWith(COMPONENT_PREFIX)) {
    declareStorableText(components[node.$ref.slice(COMPONENT_PREFIX.length)], components, seen);
  }
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (types.includes('string') && !BOUNDED_TEXT.some((keyword) => keyword in node)) {
    node.pattern = STORABLE_TEXT_PATTERN;
  }
  if (types.includes('object') && node.additionalProperties !== false && !('propertyNames' in node)) {
    node.propertyNames = { pattern: STORABLE_TEXT_PATTERN };
  }
  for (const [keyword, value] of Object.entries(node)) {
    if (!NOT_SCHEMAS.has(keyword)) declareStorableText(value, components, seen);
  }
}

/** Declares {@link STORABLE_TEXT_PATTERN} on the texts of an operation's body, query and path parameters. */
function declareRequestTexts(operation: OperationObject, components: Record<string, unknown>): void {
  const seen = new Set<object>();
  for (const parameter of operation.parameters ?? []) {
    if (parameter.in === 'query' || parameter.in === 'path')
      declareStorableText(parameter.schema, components, seen);
  }
  const body = operation.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined;
  for (const media of Object.values(body?.content ?? {})) declareStorableText(media.schema, components, seen);
}

function problemResponse(status: number, existing: ResponseObject | undefined): ResponseObject {
  const description =
    existing?.description && existing.description !== 'Default Response'
      ? existing.description
      : (REASONS[status] ?? 'An error (problem details)');
  const retryAfter =
    status === 429 || status === 503
      ? { 'retry-after': { description: 'Seconds to wait before trying again.', schema: { type: 'string' } } }
      : undefined;
  return {
    description,
    ...((existing?.headers ?? retryAfter) && { headers: { ...retryAfter, ...existing?.headers } }),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA_NAME}` } } },
  };
}

/** The statuses {@link CommonResponses} add to one operation. */
export function commonStatusesOf(
  path: string,
  operation: OperationObject,
  common: CommonResponses,
): number[] {
  const rules = { ...DEFAULT_COMMON_RESPONSES, ...common };
  const statuses = new Set<number>(rules.every);
  if (operation.requestBody) for (const status of rules.withBody) statuses.add(status);
  if (operation.parameters?.some((parameter) => parameter.in === 'path') || path.includes('{')) {
    for (const status of rules.withPathParams) statuses.add(status);
  }
  if (operation.security && operation.security.length > 0) {
    for (const status of rules.withSecurity) statuses.add(status);
  }
  for (const [prefix, extra] of Object.entries(common.byPathPrefix ?? {})) {
    if (path.startsWith(prefix)) for (const status of extra) statuses.add(status);
  }
  return [...statuses];
}

/**
 * Makes a generated OpenAPI document say what the service sends: every operation gets the statuses its
 * shared hooks can answer ({@link CommonResponses}), and every 4xx and 5xx answer is declared as
 * `application/problem+json` with the one problem schema (RFC 9457), which is how the error handler
 * sends them. Success responses are left as the routes declare them (binary downloads declare their own
 * media types). Request texts that the shared guard would refuse for a NUL character say so
 * ({@link STORABLE_TEXT_PATTERN}). Used as `@fastify/swagger`'s `transformObject`; it changes the document
 * in place.
 */
export function exactOpenApiDocument<T extends object>(
  document: T,
  common: CommonResponses,
  problemSchema: unknown,
): T {
  const doc = document as OpenApiDocumentObject;
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas } };
  const schemas = doc.components.schemas as Record<string, unknown>;
  const { $id: _id, ...plainProblem } = problemSchema as Record<string, unknown>;
  schemas[PROBLEM_SCHEMA_NAME] = plainProblem;
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, value] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      const operation = value as OperationObject;
      declareRequestTexts(operation, schemas);
      const responses = { ...operation.responses };
      for (const status of commonStatusesOf(path, operation, common)) {
        const key = String(status);
        responses[key] = problemResponse(status, responses[key]);
      }
      for (const [key, response] of Object.entries(responses)) {
        const status = Number(key);
        if (Number.isInteger(status) && status >= 400) responses[key] = problemResponse(status, response);
      }
      operation.responses = responses;
    }
  }
  return document;
}
