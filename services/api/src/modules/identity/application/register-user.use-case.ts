import type { User } from '@flotilla/contracts';
import { type Logger, newId } from '@flotilla/platform';
import type { EventPublisher, PasswordHasher, UserDirectory } from './identity.ports.js';
import { publishAfterWrite } from './publish-after-write.js';
import { translateUserError } from './upstream-errors.js';

/** What a new user gives. The role is always `user`: admins are made by an admin or by operations. */
export interface RegisterUserInput {
  email: string;
  username: string;
  password: string;
  displayName?: string | null | undefined;
}

/** Registers a user: hashes the password, stores the user, publishes `user.registered`. */
export function createRegisterUser(deps: {
  users: UserDirectory;
  hasher: PasswordHasher;
  events: EventPublisher;
  logger: Logger;
}) {
  return async function registerUser(input: RegisterUserInput): Promise<User> {
    const passwordHash = await deps.hasher.hash(input.password);
    const user = await deps.users
      .create({
        id: newId(),
        email: input.email,
        username: input.username,
        display_name: input.displayName ?? null,
        password_hash: passwordHash,
        role: 'user',
        status: 'active',
      })
      .catch(translateUserError);
    await publishAfterWrite(
      deps.events,
      deps.logger,
      'user.registered',
      { user_id: user.id, username: user.username, role: user.role },
      user.id,
    );
    return user;
  };
}
