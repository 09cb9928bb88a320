import type { HttpApp } from '@flotilla/platform';
import { bearerSecurity, currentUser, requireAdmin } from '../../../http/auth.js';
import { authedProblemResponses } from '../../../http/problem-responses.js';
import type { Identity } from '../identity.deps.js';
import { toProfile } from './identity.mapper.js';
import {
  AdminListUsersQuerySchema,
  ProfilePageSchema,
  ProfileSchema,
  UserIdParamsSchema,
} from './identity.schemas.js';

const tags = ['admin'];
const security = bearerSecurity;

/** `/admin/users`: list, suspend, reactivate. Admin role only. */
export function registerAdminUserRoutes(app: HttpApp, identity: Identity): void {
  const { useCases } = identity;

  app.get(
    '/admin/users',
    {
      preHandler: requireAdmin,
      schema: {
        tags,
        security,
        summary: 'List users, newest first (admin)',
        querystring: AdminListUsersQuerySchema,
        response: { 200: ProfilePageSchema, ...authedProblemResponses(403) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, status, role, search } = request.query;
      const page = await useCases.listUsers({
        limit,
        ...(cursor !== undefined && { cursor }),
        ...(status !== undefined && { status }),
        ...(role !== undefined && { role }),
        ...(search !== undefined && { search }),
      });
      return { items: page.items.map(toProfile), next_cursor: page.next_cursor };
    },
  );

  for (const [action, status] of [
    ['suspend', 'suspended'],
    ['reactivate', 'active'],
  ] as const) {
    app.post(
      `/admin/users/:id/${action}`,
      {
        preHandler: requireAdmin,
        schema: {
          tags,
          security,
          summary:
            action === 'suspend'
              ? 'Suspend a user: no login, tokens stop working, sessions revoked (admin)'
              : 'Reactivate a suspended user (admin)',
          params: UserIdParamsSchema,
          response: { 200: ProfileSchema, ...authedProblemResponses(403, 404, 409) },
        },
      },
      async (request) =>
        toProfile(await useCases.setUserStatus(currentUser(request).id, request.params.id, status)),
    );
  }
}
