import type { User } from '@flotilla/contracts';
import { type HttpApp, platformErrors } from '@flotilla/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Authenticated, authErrors, type Principal } from './principal.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Verifies a request's `Authorization` header (installed once by {@link installAuth}). */
    apiAuthenticate: (authorization: string | undefined) => Promise<Authenticated>;
  }
  interface FastifyRequest {
    /** Set by {@link authenticate}: the caller and their current profile. */
    authenticated: Authenticated | null;
  }
}

/** Installs what {@link authenticate} needs on the root app. Call before registering routes. */
export function installAuth(
  app: HttpApp,
  authenticate: (authorization: string | undefined) => Promise<Authenticated>,
): void {
  app.decorate('apiAuthenticate', authenticate);
  app.decorateRequest('authenticated', null);
}

/**
 * preHandler: requires a valid access JWT (`Authorization: Bearer <token>`) of an existing, active user.
 * Otherwise 401 problem+json (`AUTH.TOKEN_INVALID`, `AUTH.TOKEN_EXPIRED`, `AUTH.ACCOUNT_SUSPENDED`).
 * Use as `preHandler: authenticate` (or `[authenticate, requireAdmin]`), then {@link currentUser}.
 */
export async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.authenticated) return;
  try {
    request.authenticated = await request.server.apiAuthenticate(request.headers.authorization);
  } catch (error) {
    reply.header('www-authenticate', 'Bearer');
    throw error;
  }
}

/** preHandler: requires the admin role (authenticating first if needed); 403 `AUTH.ADMIN_REQUIRED` otherwise. */
export async function requireAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  await authenticate(request, reply);
  if (currentUser(request).role !== 'admin') throw authErrors.ADMIN_REQUIRED();
}

/** The authenticated caller: `{ id, role }`. Throws 401 when the route did not run {@link authenticate}. */
export function currentUser(request: FastifyRequest): Principal {
  if (!request.authenticated) throw platformErrors.UNAUTHENTICATED();
  return request.authenticated.principal;
}

/** The authenticated caller's profile as read while authenticating (from the cache). */
export function currentProfile(request: FastifyRequest): User {
  if (!request.authenticated) throw platformErrors.UNAUTHENTICATED();
  return request.authenticated.user;
}

/** OpenAPI `security` of routes that need an access token. */
export const bearerSecurity = [{ bearerAuth: [] }];
