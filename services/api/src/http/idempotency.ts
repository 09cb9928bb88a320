import { createHash } from 'node:crypto';
import {
  type HttpApp,
  hashKeyPart,
  idempotencyErrors,
  type Logger,
  redisKey,
  setExpiring,
} from '@flotilla/platform';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Redis } from 'ioredis';
import { Type } from 'typebox';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Accept `Idempotency-Key` on this route: replay the stored reply of a repeated request. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotency: { key: string; fingerprint: string } | undefined;
  }
}

/** The request header carrying the client's key. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set on a replayed reply. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Options of {@link installIdempotency}. */
export interface IdempotencyOptions {
  redis: Redis;
  logger: Logger;
  /** How long a finished reply is replayed (24 h by default in config). */
  ttlSeconds: number;
  /** How long a request in progress holds its key (a crashed request frees it after this). */
  pendingTtlSeconds: number;
}

interface StoredReply {
  state: 'pending' | 'done';
  fingerprint: string;
  status?: number;
  contentType?: string;
  location?: string;
  body?: string;
}

/** Stable JSON of a value (object keys sorted), for fingerprints. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** What makes two requests "the same": method, path and query, and the body (or, unparsed, its size and type). */
function fingerprintOf(request: FastifyRequest): string {
  const contentType = String(request.headers['content-type'] ?? '').split(';')[0];
  const body =
    request.body === undefined
      ? `unparsed:${contentType}:${request.headers['content-length'] ?? ''}`
      : canonical(request.body);
  return createHash('sha256').update(`${request.method}\n${request.url}\n${body}`).digest('hex');
}

/**
 * Installs `Idempotency-Key` support for every route registered afterwards with
 * `config: { idempotent: true }`. The key is scoped to the caller (user id, or `anonymous`) and the route,
 * and only its hash is a Redis key: `idempotency:http:<sha256>`. Same key + same request replays the
 * stored reply (with `Idempotent-Replayed: true`) for `ttlSeconds`; same key + another request is a 422
 * `IDEMPOTENCY.KEY_REUSED`; a duplicate while the first is running is a 409 `IDEMPOTENCY.IN_PROGRESS`.
 * Replies of 5xx and 429 are not stored (the client may retry). Redis down: 503 (fail closed, since
 * proceeding could do the write twice). The idempotency preHandler runs after the route's own
 * preHandlers (so after `authenticate`).
 */
export function installIdempotency(app: HttpApp, options: IdempotencyOptions): void {
  const { redis, logger } = options;
  app.decorateRequest('idempotency', undefined);

  async function claim(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const raw = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string' || !KEY_PATTERN.test(raw)) throw idempotencyErrors.KEY_INVALID();
    const scope = request.authenticated?.principal.id ?? 'anonymous';
    const route = request.routeOptions.url ?? request.url;
    const key = redisKey('idempotency', 'http', hashKeyPart(`${scope}\n${request.method} ${route}\n${raw}`));
    const fingerprint = fingerprintOf(request);
    let existing: string | null;
    try {
      const pending: StoredReply = { state: 'pending', fingerprint };
      const claimed = await setExpiring(
        redis,
        key,
        JSON.stringify(pending),
        { seconds: options.pendingTtlSeconds },
        { onlyIfAbsent: true },
      );
      if (claimed) {
        request.idempotency = { key, fingerprint };
        return undefined;
      }
      existing = await redis.get(key);
    } catch (error) {
      logger.warn({ err: error }, 'idempotency store unavailable');
      throw idempotencyErrors.UNAVAILABLE({ cause: error });
    }
    // Gone between SET NX and GET (expired): treat as in progress; the client's retry will claim it.
    if (existing === null) throw idempotencyErrors.IN_PROGRESS();
    const stored = JSON.parse(existing) as StoredReply;
    if (stored.fingerprint !== fingerprint) throw idempotencyErrors.KEY_REUSED();
    if (stored.state === 'pending') throw idempotencyErrors.IN_PROGRESS();
    reply.status(stored.status ?? 200).header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    if (stored.contentType) reply.header('content-type', stored.contentType);
    if (stored.location) reply.header('location', stored.location);
    return reply.send(stored.body ?? '');
  }

  async function store(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const claimed = request.idempotency;
    if (!claimed) return payload;
    request.idempotency = undefined;
    const status = reply.statusCode;
    const storable = typeof payload === 'string' || Buffer.isBuffer(payload);
    try {
      if (status >= 500 || status === 429 || !storable) {
        await redis.del(claimed.key);
        return payload;
      }
      const location = reply.getHeader('location');
      const record: StoredReply = {
        state: 'done',
        fingerprint: claimed.fingerprint,
        status,
        contentType: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8'),
        ...(location !== undefined && { location: String(location) }),
        body: String(payload),
      };
      await setExpiring(redis, claimed.key, JSON.stringify(record), { seconds: options.ttlSeconds });
    } catch (error) {
      // The effect happened; only the replay is lost. The pending marker expires on its own.
      logger.warn({ err: error }, 'idempotent reply not stored');
    }
    return payload;
  }

  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.config?.idempotent) return;
    const asList = <T>(value: T | T[] | undefined): T[] =>
      value === undefined ? [] : Array.isArray(value) ? value : [value];
    route.preHandler = [...asList(route.preHandler), claim] as RouteOptions['preHandler'];
    // Document the header; its schema refuses a bad key before `claim` runs.
    if (route.schema && !route.schema.headers) {
      route.schema.headers = Type.Object({
        // The same rule as KEY_PATTERN, so the document says which keys are taken (a bad one is a 422).
        [IDEMPOTENCY_KEY_HEADER]: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 255,
            pattern: '^[\\x21-\\x7e]+$',
            description: IDEMPOTENCY_KEY_DESCRIPTION,
          }),
        ),
      });
    }
    route.onSend = [...asList(route.onSend), store] as RouteOptions['onSend'];
  });
}

/** OpenAPI description of the `Idempotency-Key` header, for routes' `headers` schemas. */
export const IDEMPOTENCY_KEY_DESCRIPTION =
  'Optional. Makes a retried request safe: the same key with the same request replays the first reply for 24 h; with another request it is a 422; while the first is running, a 409.';
