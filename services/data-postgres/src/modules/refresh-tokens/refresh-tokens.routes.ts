import {
  CreateRefreshTokenBodySchema,
  type RefreshToken,
  RefreshTokenFamilyParamsSchema,
  RefreshTokenHashParamsSchema,
  RefreshTokenRevocationSchema,
  RefreshTokenRotationSchema,
  RefreshTokenSchema,
  RefreshTokenUserParamsSchema,
  RotateRefreshTokenBodySchema,
} from '@flotilla/contracts';
import type { HttpApp } from '@flotilla/platform';
import { iso, isoOrNull, problemResponses, serviceTokenSecurity } from '../../http/wire.js';
import { refreshTokenErrors } from './refresh-tokens.errors.js';
import type { RefreshTokenRecord, RefreshTokensRepository } from './refresh-tokens.repository.js';

const tags = ['refresh-tokens'];

/** A stored token on the wire. */
export function toRefreshTokenWire(token: RefreshTokenRecord): RefreshToken {
  return {
    id: token.id,
    user_id: token.userId,
    token_hash: token.tokenHash,
    family_id: token.familyId,
    expires_at: iso(token.expiresAt),
    revoked_at: isoOrNull(token.revokedAt),
    replaced_by: token.replacedBy,
    created_at: iso(token.createdAt),
  };
}

/** `/api/v1/refresh-tokens`: store, look up by hash, rotate atomically, revoke a family or a user's. */
export function registerRefreshTokenRoutes(app: HttpApp, tokens: RefreshTokensRepository): void {
  app.post(
    '/api/v1/refresh-tokens',
    {
      schema: {
        tags,
        summary: 'Store a refresh token (its SHA-256), starting a family unless family_id is given',
        security: serviceTokenSecurity,
        body: CreateRefreshTokenBodySchema,
        response: { 201: RefreshTokenSchema, ...problemResponses(409) },
      },
    },
    async (request, reply) => {
      const { id, user_id, token_hash, family_id, expires_at } = request.body;
      const token = await tokens.create({
        ...(id !== undefined && { id }),
        userId: user_id,
        tokenHash: token_hash,
        ...(family_id !== undefined && { familyId: family_id }),
        expiresAt: new Date(expires_at),
      });
      reply.status(201);
      return toRefreshTokenWire(token);
    },
  );

  app.get(
    '/api/v1/refresh-tokens/by-hash/:token_hash',
    {
      schema: {
        tags,
        summary: 'Find a refresh token by its SHA-256',
        security: serviceTokenSecurity,
        params: RefreshTokenHashParamsSchema,
        response: { 200: RefreshTokenSchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const token = await tokens.findByHash(request.params.token_hash);
      if (!token) throw refreshTokenErrors.NOT_FOUND();
      return toRefreshTokenWire(token);
    },
  );

  app.post(
    '/api/v1/refresh-tokens/rotate',
    {
      schema: {
        tags,
        summary: 'Rotate a refresh token: mark it replaced and store its replacement, in one transaction',
        description:
          'Refused with 409 REFRESH_TOKEN.REUSED when the token was rotated before (reuse: revoke its family), REFRESH_TOKEN.REVOKED or REFRESH_TOKEN.EXPIRED.',
        security: serviceTokenSecurity,
        body: RotateRefreshTokenBodySchema,
        response: { 201: RefreshTokenRotationSchema, ...problemResponses(404, 409) },
      },
    },
    async (request, reply) => {
      const { token_hash, replacement } = request.body;
      const { previous, current } = await tokens.rotate(token_hash, {
        ...(replacement.id !== undefined && { id: replacement.id }),
        tokenHash: replacement.token_hash,
        expiresAt: new Date(replacement.expires_at),
      });
      reply.status(201);
      return { previous: toRefreshTokenWire(previous), current: toRefreshTokenWire(current) };
    },
  );

  app.post(
    '/api/v1/refresh-tokens/families/:family_id/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke every live token of a family',
        security: serviceTokenSecurity,
        params: RefreshTokenFamilyParamsSchema,
        response: { 200: RefreshTokenRevocationSchema, ...problemResponses() },
      },
    },
    async (request) => ({ revoked: await tokens.revokeFamily(request.params.family_id) }),
  );

  app.post(
    '/api/v1/refresh-tokens/users/:user_id/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke every live token of a user',
        security: serviceTokenSecurity,
        params: RefreshTokenUserParamsSchema,
        response: { 200: RefreshTokenRevocationSchema, ...problemResponses() },
      },
    },
    async (request) => ({ revoked: await tokens.revokeAllForUser(request.params.user_id) }),
  );
}
