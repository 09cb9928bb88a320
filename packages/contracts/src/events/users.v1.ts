import { type Static, Type } from 'typebox';
import { Uuid } from '../http/common.v1.js';
import {
  TelegramIdSchema,
  UsernameSchema,
  UserRoleSchema,
  UserStatusSchema,
  UserVersionSchema,
} from '../http/data-postgres/users.v1.js';

/** `user.registered`: a user account was created. Carries no email or password data. */
export const UserRegisteredDataSchema = Type.Object(
  {
    user_id: Uuid,
    username: UsernameSchema,
    role: UserRoleSchema,
  },
  { additionalProperties: false, title: 'UserRegistered', description: 'A user account was created.' },
);
/** Data of `user.registered`. */
export type UserRegisteredData = Static<typeof UserRegisteredDataSchema>;

/** A user field whose change `user.updated` reports (values are not carried: read the user). */
export const UserChangedFieldSchema = Type.Enum(
  ['email', 'username', 'display_name', 'password', 'role', 'status', 'telegram_id'],
  { description: 'Name of a changed user field.' },
);

/** `user.updated`: a user's profile, password, role, status or Telegram link changed. */
export const UserUpdatedDataSchema = Type.Object(
  {
    user_id: Uuid,
    version: UserVersionSchema,
    changed: Type.Array(UserChangedFieldSchema, { minItems: 1, maxItems: 7, uniqueItems: true }),
    status: UserStatusSchema,
  },
  {
    additionalProperties: false,
    title: 'UserUpdated',
    description:
      "A user's profile, password, role, status or Telegram link changed; `version` is the new version.",
  },
);
/** Data of `user.updated`. */
export type UserUpdatedData = Static<typeof UserUpdatedDataSchema>;

/** `telegram.linked`: a user linked a Telegram account with a one-time code. */
export const TelegramLinkedDataSchema = Type.Object(
  {
    user_id: Uuid,
    telegram_id: TelegramIdSchema,
  },
  {
    additionalProperties: false,
    title: 'TelegramLinked',
    description: 'A user linked a Telegram account (through `/start <code>` in the bot).',
  },
);
/** Data of `telegram.linked`. */
export type TelegramLinkedData = Static<typeof TelegramLinkedDataSchema>;
