import { type Static, type TSchema, Type } from 'typebox';

/** A UUID (the services generate v7). */
export const Uuid = Type.String({ format: 'uuid', maxLength: 36, description: 'UUID (v7, time-ordered).' });

/** An ISO-8601 UTC timestamp with milliseconds, e.g. `2026-11-24T16:00:00.000Z`. */
export const Timestamp = Type.String({ format: 'date-time', maxLength: 40 });

/** A field-level problem in a 4xx response. */
export const FieldErrorSchema = Type.Object(
  { field: Type.String({ maxLength: 512 }), message: Type.String({ maxLength: 1024 }) },
  { additionalProperties: false },
);

/**
 * RFC 9457 problem details, as every Flotilla HTTP service answers errors
 * (`application/problem+json`). Extension members are allowed.
 */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    code: Type.String({ description: 'Stable machine-readable error code, e.g. MEDIA.TOO_LARGE.' }),
    request_id: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
  },
  { additionalProperties: true, $id: 'Problem' },
);
/** A problem details body. */
export type Problem = Static<typeof ProblemSchema>;

/** Cursor pagination query: `limit` (1-200, default 50) and an opaque `cursor`. */
export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);
/** Cursor pagination query values. */
export type PageQuery = Static<typeof PageQuery>;

/** A page of items: `items` and the `next_cursor` (null on the last page). */
export function Page<T extends TSchema>(item: T) {
  return Type.Object(
    { items: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) },
    { additionalProperties: false },
  );
}

/** Opaque cursor: base64url of a JSON value (a keyset position). */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; `undefined` when it is malformed. */
export function decodeCursor<T = unknown>(cursor: string): T | undefined {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The schema of a response body that is a file's bytes (OpenAPI `format: binary`). */
export const BinaryBody = Type.Unsafe<unknown>({ type: 'string', format: 'binary' });

/**
 * A response whose body is a file's bytes, declared under each media type it may have (`*\/*` when the
 * stored type can be anything), for a route's `response` map: `{ 200: BinaryResponse('The file.', ['image/png']) }`.
 * The route streams the bytes itself, so nothing is serialized.
 */
export function BinaryResponse(description: string, mediaTypes: readonly string[]) {
  return Type.Unsafe<unknown>({
    description,
    content: Object.fromEntries(mediaTypes.map((type) => [type, { schema: BinaryBody }])),
  });
}

/** A response with no body (a 204 or a 304), for a route's `response` map. */
export function EmptyResponse(description: string) {
  return Type.Unsafe<unknown>({ description, type: 'null' });
}
