import {
  CreateUserBodySchema,
  ListUsersQuerySchema,
  PatchUserBodySchema,
  UserCredentialsSchema,
  UserEmailParamsSchema,
  UserIdParamsSchema,
  UserPageSchema,
  UserSchema,
  UserTelegramIdParamsSchema,
} from '@flotilla/contracts';
import { type HttpApp, platformErrors } from '@flotilla/platform';
import { Type } from 'typebox';
import { decodePosition } from '../../db/keyset.js';
import type { OutboxWriter } from '../../db/outbox-writer.js';
import { expectedVersion, nextCursor, problemResponses, serviceTokenSecurity } from '../../http/wire.js';
import { userErrors } from './users.errors.js';
import { fromCreateUserBody, fromPatchUserBody, toUserWire } from './users.mapper.js';
import type { UserRecord, UsersRepository } from './users.repository.js';

const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({ pattern: '^(\\*|"[0-9]{1,10}")$', description: 'The version you read, as `"<version>"`.' }),
  ),
});

const tags = ['users'];

function found<T>(value: T | undefined): T {
  if (value === undefined) throw userErrors.NOT_FOUND();
  return value;
}

/** `/api/v1/users`: create, read (by id, email, Telegram id), list, patch with optimistic concurrency, delete. */
export function registerUserRoutes(app: HttpApp, users: UsersRepository, outbox: OutboxWriter): void {
  const sendUser = (reply: { header(name: string, value: string): unknown }, user: UserRecord) => {
    reply.header('etag', `"${user.version}"`);
    return toUserWire(user);
  };

  app.post(
    '/api/v1/users',
    {
      schema: {
        tags,
        summary: 'Create a user (with the events to publish once it is stored)',
        security: serviceTokenSecurity,
        body: CreateUserBodySchema,
        response: { 201: UserSchema, ...problemResponses(409) },
      },
    },
    async (request, reply) => {
      const user = await outbox.write(request.body.events, (db) =>
        users.on(db).create(fromCreateUserBody(request.body)),
      );
      reply.status(201);
      return sendUser(reply, user);
    },
  );

  app.get(
    '/api/v1/users',
    {
      schema: {
        tags,
        summary: 'List users, newest first',
        security: serviceTokenSecurity,
        querystring: ListUsersQuerySchema,
        response: { 200: UserPageSchema, ...problemResponses() },
      },
    },
    async (request) => {
      const { limit = 50, cursor, status, role, email_prefix, search } = request.query;
      const page = await users.list({
        limit,
        ...(cursor !== undefined && { after: decodePosition(cursor) }),
        ...(status !== undefined && { status }),
        ...(role !== undefined && { role }),
        ...(email_prefix !== undefined && { emailPrefix: email_prefix }),
        ...(search !== undefined && { search }),
      });
      return { items: page.items.map(toUserWire), next_cursor: nextCursor(page.next) };
    },
  );

  app.get(
    '/api/v1/users/:id',
    {
      schema: {
        tags,
        summary: 'Get a user',
        security: serviceTokenSecurity,
        params: UserIdParamsSchema,
        response: { 200: UserSchema, ...problemResponses(404) },
      },
    },
    async (request, reply) => sendUser(reply, found(await users.findById(request.params.id))),
  );

  app.get(
    '/api/v1/users/by-email/:email',
    {
      schema: {
        tags,
        summary: 'Get a user by email (case-insensitive)',
        security: serviceTokenSecurity,
        params: UserEmailParamsSchema,
        response: { 200: UserSchema, ...problemResponses(404) },
      },
    },
    async (request, reply) => sendUser(reply, found(await users.findByEmail(request.params.email))),
  );

  app.get(
    '/api/v1/users/by-telegram-id/:telegram_id',
    {
      schema: {
        tags,
        summary: 'Get the user linked to a Telegram account',
        security: serviceTokenSecurity,
        params: UserTelegramIdParamsSchema,
        response: { 200: UserSchema, ...problemResponses(404) },
      },
    },
    async (request, reply) =>
      sendUser(reply, found(await users.findByTelegramId(request.params.telegram_id))),
  );

  app.get(
    '/api/v1/users/by-email/:email/credentials',
    {
      schema: {
        tags,
        summary: 'Get a user with its password hash, for login',
        security: serviceTokenSecurity,
        params: UserEmailParamsSchema,
        response: { 200: UserCredentialsSchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const credentials = found(await users.findCredentials({ email: request.params.email }));
      return { user: toUserWire(credentials.user), password_hash: credentials.passwordHash };
    },
  );

  app.get(
    '/api/v1/users/:id/credentials',
    {
      schema: {
        tags,
        summary: 'Get a user with its password hash, for a password change',
        security: serviceTokenSecurity,
        params: UserIdParamsSchema,
        response: { 200: UserCredentialsSchema, ...problemResponses(404) },
      },
    },
    async (request) => {
      const credentials = found(await users.findCredentials({ id: request.params.id }));
      return { user: toUserWire(credentials.user), password_hash: credentials.passwordHash };
    },
  );

  app.patch(
    '/api/v1/users/:id',
    {
      schema: {
        tags,
        summary: 'Change a user (optimistic concurrency with If-Match or expected_version)',
        security: serviceTokenSecurity,
        params: UserIdParamsSchema,
        headers: IfMatchHeaders,
        body: PatchUserBodySchema,
        response: { 200: UserSchema, ...problemResponses(404, 409, 412) },
      },
    },
    async (request, reply) => {
      const version = expectedVersion(request.headers['if-match'], request.body.expected_version);
      const changes = fromPatchUserBody(request.body);
      if (Object.keys(changes).length === 0) {
        throw platformErrors.VALIDATION({
          detail: 'The patch changes nothing',
          data: { errors: [{ field: '/body', message: 'must change at least one field' }] },
        });
      }
      const user = await outbox.write(request.body.events, (db) =>
        users.on(db).update(request.params.id, changes, version),
      );
      return sendUser(reply, user);
    },
  );

  app.delete(
    '/api/v1/users/:id',
    {
      schema: {
        tags,
        summary: 'Delete a user with its tokens, jobs and documents (If-Match honoured)',
        security: serviceTokenSecurity,
        params: UserIdParamsSchema,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...problemResponses(404, 412) },
      },
    },
    async (request, reply) => {
      await users.delete(request.params.id, expectedVersion(request.headers['if-match'], undefined));
      return reply.status(204).send(null);
    },
  );
}
