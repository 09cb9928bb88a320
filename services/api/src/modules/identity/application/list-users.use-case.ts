import type { ListUsersQuery, UserPage } from '@flotilla/contracts';
import { isUpstreamHttpError, platformErrors } from '@flotilla/platform';
import type { UserDirectory } from './identity.ports.js';

/** Lists users for an admin, newest first. A cursor data-postgres cannot read is the caller's 422. */
export function createListUsers(deps: { users: UserDirectory }) {
  return async function listUsers(query: ListUsersQuery): Promise<UserPage> {
    try {
      return await deps.users.list(query);
    } catch (error) {
      if (isUpstreamHttpError(error, 422)) {
        throw platformErrors.VALIDATION({
          detail: '/query/cursor is not a valid cursor',
          data: { errors: [{ field: '/query/cursor', message: 'is not a valid cursor' }] },
        });
      }
      throw error;
    }
  };
}
