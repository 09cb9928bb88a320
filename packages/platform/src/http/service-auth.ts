import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import { getContext } from '../context/request-context.js';
import { platformErrors } from '../errors/platform-errors.js';
import type { HttpApp } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The calling service, set by {@link installServiceAuth} once its token is verified. */
    caller?: string;
  }
}

/** Paths a data service serves without a token: probes, metrics and its API documentation. */
const OPEN_PATHS = /^\/(health\/(live|ready)|metrics|docs)(\/|$|\?)/;

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Options of {@link installServiceAuth}. */
export interface ServiceAuthOptions {
  /** Accepted tokens by caller name (from `SERVICE_TOKENS`). */
  tokens: ReadonlyMap<string, string>;
  /** Registry for the per-caller request counter. */
  registry: Registry;
}

/**
 * Requires `Authorization: Bearer <service token>` on every route but probes, metrics and docs.
 * Tokens are compared as SHA-256 digests in constant time against every configured caller (so the
 * time taken does not reveal which caller matched or how much of a token was right). A missing or
 * malformed header answers 401, a wrong token 403. The caller's name goes into the request context
 * (and so into every log line) and labels `http_requests_by_caller_total`.
 */
export function installServiceAuth(app: HttpApp, options: ServiceAuthOptions): void {
  const expected = [...options.tokens.entries()].map(([caller, token]) => ({
    caller,
    digest: digest(token),
  }));
  const byCaller = new Counter({
    name: 'http_requests_by_caller_total',
    help: 'Requests to a data service by calling service, route template and status code.',
    labelNames: ['caller', 'route', 'status_code'],
    registers: [options.registry],
  });

  app.addHook('onRequest', async (request) => {
    if (OPEN_PATHS.test(request.url)) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([^\s]{1,512})$/.exec(header) : null;
    if (!match?.[1]) {
      throw platformErrors.UNAUTHENTICATED({
        detail: 'A service token is required (Authorization: Bearer <token>).',
      });
    }
    const presented = digest(match[1]);
    let caller: string | undefined;
    for (const candidate of expected) {
      if (timingSafeEqual(presented, candidate.digest) && caller === undefined) caller = candidate.caller;
    }
    if (!caller) throw platformErrors.FORBIDDEN({ detail: 'The service token is not valid.' });
    request.caller = caller;
    const context = getContext();
    if (context) context.caller = caller;
  });

  app.addHook('onResponse', async (request, reply) => {
    if (!request.caller) return;
    byCaller.inc({
      caller: request.caller,
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    });
  });
}
