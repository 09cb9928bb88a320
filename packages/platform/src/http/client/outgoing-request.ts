import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { getRequestId, REQUEST_ID_HEADER } from '../../context/request-context.js';
import type { QueryValue } from './client-options.js';

const PLACEHOLDER = /:([A-Za-z_][A-Za-z0-9_]*)/g;

/** Replaces the `:name` placeholders of a path template with URL-encoded values. */
export function fillPathTemplate(template: string, params: Record<string, string | number>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`Missing path parameter "${name}" for ${template}`);
    return encodeURIComponent(String(value));
  });
}

/** Appends a query string; `undefined`/`null` values are skipped and arrays repeat the key. */
export function appendQuery(path: string, query: Record<string, QueryValue> | undefined): string {
  if (!query) return path;
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) search.append(key, String(item));
  }
  const encoded = search.toString();
  if (encoded === '') return path;
  return `${path}${path.includes('?') ? '&' : '?'}${encoded}`;
}

const ID_LIKE_SEGMENT =
  /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|[A-Za-z0-9_-]{32,})$/i;

/**
 * The route label of a call: the explicit template, else the path template when params were given,
 * else the path with id-like segments (numbers, UUIDs, long hex or opaque tokens) replaced by `:id`.
 */
export function describeRoute(path: string, options: { params?: unknown; routeTemplate?: string }): string {
  if (options.routeTemplate) return options.routeTemplate;
  const withoutQuery = path.split('?')[0] ?? path;
  if (options.params) return withoutQuery;
  return withoutQuery
    .split('/')
    .map((segment) => (ID_LIKE_SEGMENT.test(segment) ? ':id' : segment))
    .join('/');
}

/** A request body ready for undici. */
export type EncodedBody =
  | { kind: 'none' }
  | { kind: 'bytes'; data: string | Uint8Array; contentType: string }
  | { kind: 'stream'; data: Readable; contentType: string };

/** JSON-encodes a body, except bytes (sent as is) and streams (piped, hence not replayable). */
export function encodeBody(body: unknown): EncodedBody {
  if (body === undefined) return { kind: 'none' };
  if (body instanceof Readable)
    return { kind: 'stream', data: body, contentType: 'application/octet-stream' };
  if (body instanceof Uint8Array)
    return { kind: 'bytes', data: body, contentType: 'application/octet-stream' };
  return { kind: 'bytes', data: JSON.stringify(body), contentType: 'application/json' };
}

/** What the outgoing headers are built from. */
export interface HeaderInputs {
  callerName: string;
  serviceToken: string | undefined;
  /** The call's request id, the same on every attempt. */
  requestId: string;
  body: EncodedBody;
  headers: Record<string, string> | undefined;
}

/** The request id sent on a call: the current context's, else a fresh one so both sides can still correlate. */
export function currentOrNewRequestId(): string {
  return getRequestId() ?? randomUUID();
}

/**
 * Builds the headers of an attempt: the caller's headers (lower-cased), a content type for bodies that
 * lack one, then the ones the client owns: `user-agent`, `x-request-id` and the bearer token.
 */
export function buildHeaders(inputs: HeaderInputs): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(inputs.headers ?? {})) headers[name.toLowerCase()] = value;
  if (inputs.body.kind !== 'none' && headers['content-type'] === undefined) {
    headers['content-type'] = inputs.body.contentType;
  }
  headers['user-agent'] = `flotilla-${inputs.callerName}`;
  headers[REQUEST_ID_HEADER] = inputs.requestId;
  if (inputs.serviceToken !== undefined) headers.authorization = `Bearer ${inputs.serviceToken}`;
  return headers;
}
