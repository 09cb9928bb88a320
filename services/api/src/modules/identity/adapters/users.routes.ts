import type { HttpApp } from '@flotilla/platform';
import { Type } from 'typebox';
import type { ApiConfig } from '../../../config.js';
import { authenticate, bearerSecurity, currentProfile, currentUser } from '../../../http/auth.js';
import { authedProblemResponses } from '../../../http/problem-responses.js';
import type { Identity } from '../identity.deps.js';
import { toProfile } from './identity.mapper.js';
import {
  ChangePasswordBodySchema,
  LinkCodeSchema,
  PatchProfileBodySchema,
  ProfileSchema,
} from './identity.schemas.js';

const tags = ['users'];
const security = bearerSecurity;

/** `/users/me`: the caller's own profile, password and Telegram link. */
export function registerUserRoutes(app: HttpApp, identity: Identity, config: ApiConfig): void {
  const { useCases } = identity;

  app.get(
    '/users/me',
    {
      preHandler: authenticate,
      schema: {
        tags,
        security,
        summary: 'Your profile',
        response: { 200: ProfileSchema, ...authedProblemResponses() },
      },
    },
    async (request) => toProfile(currentProfile(request)),
  );

  app.patch(
    '/users/me',
    {
      preHandler: authenticate,
      schema: {
        tags,
        security,
        summary: 'Change your username or display name',
        body: PatchProfileBodySchema,
        response: { 200: ProfileSchema, ...authedProblemResponses(409) },
      },
    },
    async (request) => {
      const { username, display_name } = request.body;
      const user = await useCases.updateProfile(currentUser(request).id, {
        ...(username !== undefined && { username }),
        ...(display_name !== undefined && { displayName: display_name }),
      });
      return toProfile(user);
    },
  );

  app.post(
    '/users/me/password',
    {
      preHandler: authenticate,
      schema: {
        tags,
        security,
        summary: 'Change your password (logs out every session)',
        body: ChangePasswordBodySchema(config.passwordMinLength, config.passwordMaxLength),
        response: { 204: Type.Null({ description: 'Changed.' }), ...authedProblemResponses(403, 429, 503) },
      },
    },
    async (request, reply) => {
      const { current_password, new_password } = request.body;
      await useCases.changePassword(currentUser(request).id, current_password, new_password, request.ip);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/users/me/telegram/link-code',
    {
      preHandler: authenticate,
      schema: {
        tags,
        security,
        summary: 'Get a one-time code to link your Telegram account',
        description: 'Send `/start <code>` to the bot before the code expires.',
        response: { 201: LinkCodeSchema, ...authedProblemResponses() },
      },
    },
    async (request, reply) => {
      const issued = await useCases.createTelegramLinkCode(currentUser(request).id);
      reply.status(201);
      return { code: issued.code, expires_in: issued.expiresInSeconds };
    },
  );

  app.delete(
    '/users/me/telegram',
    {
      preHandler: authenticate,
      schema: {
        tags,
        security,
        summary: 'Unlink your Telegram account',
        response: { 200: ProfileSchema, ...authedProblemResponses(404) },
      },
    },
    async (request) => toProfile(await useCases.unlinkTelegram(currentUser(request).id)),
  );
}
