import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What travels with one unit of work (an HTTP request, a consumed message, a bot update). */
export interface RequestContext {
  /** Correlation id, echoed on responses and sent on every outgoing call and message. */
  requestId: string;
  /** Authenticated user, once known. */
  userId?: string;
  /** Calling service, on a data service once its service token is verified. */
  caller?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Header that carries the request id between services, and to and from clients. */
export const REQUEST_ID_HEADER = 'x-request-id';

const MAX_REQUEST_ID_LENGTH = 128;
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]+$/;

/**
 * Returns the inbound request id when it is acceptable (at most 128 safe characters), else a new one.
 * A hostile or malformed header never reaches the logs or other services.
 */
export function resolveRequestId(inbound: string | string[] | undefined): string {
  const value = Array.isArray(inbound) ? inbound[0] : inbound;
  if (value && value.length <= MAX_REQUEST_ID_LENGTH && SAFE_REQUEST_ID.test(value)) return value;
  return randomUUID();
}

/** Runs `fn` with `context` as the current request context (for its whole async call tree). */
export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** Sets the context for the rest of the current async execution (used by Fastify's onRequest hook). */
export function enterContext(context: RequestContext): void {
  storage.enterWith(context);
}

/** The current request context, if any. */
export function getContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The current request id, if any. */
export function getRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
