import type { HttpApp } from '@flotilla/platform';
import { Type } from 'typebox';
import type { ApiConfig } from '../../../config.js';
import { problemResponses } from '../../../http/problem-responses.js';
import type { Identity } from '../identity.deps.js';
import { toProfile, toTokenPair } from './identity.mapper.js';
import {
  LoginBodySchema,
  ProfileSchema,
  RefreshBodySchema,
  RegisterBodySchema,
  TokenPairSchema,
} from './identity.schemas.js';

const tags = ['auth'];

/** `/auth`: register, login, refresh, logout. */
export function registerAuthRoutes(app: HttpApp, identity: Identity, config: ApiConfig): void {
  const { useCases } = identity;

  app.post(
    '/auth/register',
    {
      config: { idempotent: true },
      schema: {
        tags,
        summary: 'Register a user account',
        body: RegisterBodySchema(config.passwordMinLength, config.passwordMaxLength),
        response: { 201: ProfileSchema, ...problemResponses(409, 503) },
      },
    },
    async (request, reply) => {
      const { email, username, password, display_name } = request.body;
      const user = await useCases.registerUser({ email, username, password, displayName: display_name });
      reply.status(201).header('location', `/api/v1/users/me`);
      return toProfile(user);
    },
  );

  app.post(
    '/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in with email and password',
        description:
          'Rate limited per client IP and per account (429 with Retry-After). Returns a short-lived access JWT and an opaque refresh token.',
        body: LoginBodySchema(config.passwordMaxLength),
        response: { 200: TokenPairSchema, ...problemResponses(401, 429, 503) },
      },
    },
    async (request) => {
      const session = await useCases.login({ ...request.body, ip: request.ip });
      return toTokenPair(session);
    },
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        tags,
        summary: 'Exchange a refresh token for a new token pair (the refresh token rotates)',
        description: 'A refresh token works once. Presenting a used one revokes its whole session family.',
        body: RefreshBodySchema,
        response: { 200: TokenPairSchema, ...problemResponses(401) },
      },
    },
    async (request) => toTokenPair(await useCases.refreshSession(request.body.refresh_token)),
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags,
        summary: 'Log out: revoke the session of a refresh token',
        body: RefreshBodySchema,
        response: {
          204: Type.Null({ description: 'Logged out (also when the token was unknown).' }),
          ...problemResponses(),
        },
      },
    },
    async (request, reply) => {
      await useCases.logout(request.body.refresh_token);
      return reply.status(204).send(null);
    },
  );
}
