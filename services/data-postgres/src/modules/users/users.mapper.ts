import type { CreateUserBody, PatchUserBody, User } from '@flotilla/contracts';
import { iso } from '../../http/wire.js';
import type { NewUser, UserChanges, UserRecord } from './users.repository.js';

/** A stored user on the wire (snake_case). */
export function toUserWire(user: UserRecord): User {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    display_name: user.displayName,
    role: user.role,
    status: user.status,
    telegram_id: user.telegramId,
    created_at: iso(user.createdAt),
    updated_at: iso(user.updatedAt),
    version: user.version,
  };
}

/** `POST /users` body to the repository's input. */
export function fromCreateUserBody(body: CreateUserBody): NewUser {
  return {
    ...(body.id !== undefined && { id: body.id }),
    email: body.email,
    username: body.username,
    ...(body.display_name !== undefined && { displayName: body.display_name }),
    passwordHash: body.password_hash,
    ...(body.role !== undefined && { role: body.role }),
    ...(body.status !== undefined && { status: body.status }),
    ...(body.telegram_id !== undefined && { telegramId: body.telegram_id }),
  };
}

/** `PATCH /users/:id` body to the repository's changes (absent fields stay as they are). */
export function fromPatchUserBody(body: PatchUserBody): UserChanges {
  return {
    ...(body.email !== undefined && { email: body.email }),
    ...(body.username !== undefined && { username: body.username }),
    ...(body.display_name !== undefined && { displayName: body.display_name }),
    ...(body.password_hash !== undefined && { passwordHash: body.password_hash }),
    ...(body.role !== undefined && { role: body.role }),
    ...(body.status !== undefined && { status: body.status }),
    ...(body.telegram_id !== undefined && { telegramId: body.telegram_id }),
  };
}
