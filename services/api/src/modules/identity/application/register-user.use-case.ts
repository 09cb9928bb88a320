import type { User } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import type { OutboxEvents, PasswordHasher, UserDirectory } from './identity.ports.js';
import { translateUserError } from './upstream-errors.js';

/** What a new user gives. The role is always `user`: admins are made by an admin or by operations. */
export interface RegisterUserInput {
  email: string;
  username: string;
  password: string;
  displayName?: string | null | undefined;
}

/**
 * Registers a user: hashes the password, stores the user with its `user.registered` event in one
 * transaction (data-postgres publishes it once the user is stored).
 */
export function createRegisterUser(deps: {
  users: UserDirectory;
  hasher: PasswordHasher;
  events: OutboxEvents;
}) {
  return async function registerUser(input: RegisterUserInput): Promise<User> {
    const passwordHash = await deps.hasher.hash(input.password);
    const id = newId();
    const registered = deps.events.prepare(
      'user.registered',
      { user_id: id, username: input.username, role: 'user' },
      { userId: id },
    );
    return deps.users
      .create({
        id,
        email: input.email,
        username: input.username,
        display_name: input.displayName ?? null,
        password_hash: passwordHash,
        role: 'user',
        status: 'active',
        events: [registered],
      })
      .catch(translateUserError);
  };
}
