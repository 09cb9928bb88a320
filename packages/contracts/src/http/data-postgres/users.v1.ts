import { type Static, Type } from 'typebox';
import { Page, PageQuery, Timestamp, Uuid } from '../common.v1.js';
import { OutboxEventsSchema } from './outbox.v1.js';

/** A user's role. */
export const UserRoleSchema = Type.Enum(['user', 'admin'], { description: 'Role: `user` or `admin`.' });
/** A user's role. */
export type UserRole = Static<typeof UserRoleSchema>;

/** A user's status; a suspended user cannot log in. */
export const UserStatusSchema = Type.Enum(['active', 'suspended'], {
  description: 'Status: `active` or `suspended`.',
});
/** A user's status. */
export type UserStatus = Static<typeof UserStatusSchema>;

/** An email address. Unique case-insensitively; data-postgres stores and returns it lower-cased. */
export const UserEmailSchema = Type.String({
  format: 'email',
  minLength: 3,
  maxLength: 254,
  description: 'Email address; unique case-insensitively, stored lower-cased.',
});

/** A username: 3-32 letters, digits, `_`, `.` or `-`. Unique case-insensitively. */
export const UsernameSchema = Type.String({
  minLength: 3,
  maxLength: 32,
  pattern: '^[A-Za-z0-9_.-]+$',
  description: 'Username (letters, digits, `_`, `.`, `-`); unique case-insensitively.',
});

/** A display name, free text. */
export const UserDisplayNameSchema = Type.String({ minLength: 1, maxLength: 128 });

/**
 * An argon2 password hash in PHC string form (`$argon2id$v=19$m=...$salt$hash`), computed by the api.
 * data-postgres never sees a password.
 */
export const PasswordHashSchema = Type.String({
  minLength: 20,
  maxLength: 512,
  pattern: '^\\$argon2(id|i|d)\\$[ -~]+$',
  description: 'argon2 hash in PHC string form, computed by the caller.',
});

/**
 * A Telegram user id. Telegram guarantees at most 52 significant bits, so it is a JSON integer
 * (a safe JavaScript number); stored as `bigint`.
 */
export const TelegramIdSchema = Type.Integer({
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Telegram user id (an integer of at most 52 bits).',
});

/** The optimistic-concurrency version of a user: 1 on creation, +1 on every update. */
export const UserVersionSchema = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });

/** A user as data-postgres returns it. The password hash is never part of it. */
export const UserSchema = Type.Object(
  {
    id: Uuid,
    email: UserEmailSchema,
    username: UsernameSchema,
    display_name: Type.Union([UserDisplayNameSchema, Type.Null()]),
    role: UserRoleSchema,
    status: UserStatusSchema,
    telegram_id: Type.Union([TelegramIdSchema, Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
    version: UserVersionSchema,
  },
  { additionalProperties: false },
);
/** A user. */
export type User = Static<typeof UserSchema>;

/** `POST /api/v1/users` body. `id` may be given (UUID v7) to make a retried create detectable. */
export const CreateUserBodySchema = Type.Object(
  {
    id: Type.Optional(Uuid),
    email: UserEmailSchema,
    username: UsernameSchema,
    display_name: Type.Optional(Type.Union([UserDisplayNameSchema, Type.Null()])),
    password_hash: PasswordHashSchema,
    role: Type.Optional(UserRoleSchema),
    status: Type.Optional(UserStatusSchema),
    telegram_id: Type.Optional(Type.Union([TelegramIdSchema, Type.Null()])),
    events: Type.Optional(OutboxEventsSchema),
  },
  { additionalProperties: false },
);
/** `POST /api/v1/users` body. */
export type CreateUserBody = Static<typeof CreateUserBodySchema>;

/**
 * `PATCH /api/v1/users/:id` body: the fields to change. `telegram_id: null` unlinks Telegram.
 * Optimistic concurrency is optional: send `If-Match: "<version>"` or `expected_version`; on a
 * mismatch the answer is 412 `USER.VERSION_MISMATCH` (with `current_version`). Without either, the
 * update applies to whatever version is current.
 */
export const PatchUserBodySchema = Type.Object(
  {
    email: Type.Optional(UserEmailSchema),
    username: Type.Optional(UsernameSchema),
    display_name: Type.Optional(Type.Union([UserDisplayNameSchema, Type.Null()])),
    password_hash: Type.Optional(PasswordHashSchema),
    role: Type.Optional(UserRoleSchema),
    status: Type.Optional(UserStatusSchema),
    telegram_id: Type.Optional(Type.Union([TelegramIdSchema, Type.Null()])),
    expected_version: Type.Optional(UserVersionSchema),
    events: Type.Optional(OutboxEventsSchema),
  },
  { additionalProperties: false, minProperties: 1 },
);
/** `PATCH /api/v1/users/:id` body. */
export type PatchUserBody = Static<typeof PatchUserBodySchema>;

/** `GET /api/v1/users` query: cursor pagination (newest first) and filters. */
export const ListUsersQuerySchema = Type.Object(
  {
    ...PageQuery.properties,
    status: Type.Optional(UserStatusSchema),
    role: Type.Optional(UserRoleSchema),
    email_prefix: Type.Optional(
      Type.String({ minLength: 1, maxLength: 254, description: 'Emails starting with this (any case).' }),
    ),
    search: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Case-insensitive substring of the email, username or display name.',
      }),
    ),
  },
  { additionalProperties: false },
);
/** `GET /api/v1/users` query. */
export type ListUsersQuery = Static<typeof ListUsersQuerySchema>;

/** A page of users. */
export const UserPageSchema = Page(UserSchema);
/** A page of users. */
export type UserPage = Static<typeof UserPageSchema>;

/** What login and password change need: the user and the stored password hash. */
export const UserCredentialsSchema = Type.Object(
  { user: UserSchema, password_hash: PasswordHashSchema },
  { additionalProperties: false },
);
/** A user with its password hash. */
export type UserCredentials = Static<typeof UserCredentialsSchema>;

/** Path parameters `:id`. */
export const UserIdParamsSchema = Type.Object({ id: Uuid }, { additionalProperties: false });
/** Path parameter `:email`. */
export const UserEmailParamsSchema = Type.Object({ email: UserEmailSchema }, { additionalProperties: false });
/** Path parameter `:telegram_id`. */
export const UserTelegramIdParamsSchema = Type.Object(
  { telegram_id: TelegramIdSchema },
  { additionalProperties: false },
);

/** Error codes data-postgres answers about users (problem+json `code`). */
export const UserErrorCode = {
  /** 404: no such user. */
  NOT_FOUND: 'USER.NOT_FOUND',
  /** 409: a user with this id exists already. */
  ALREADY_EXISTS: 'USER.ALREADY_EXISTS',
  /** 409: the email (compared case-insensitively) belongs to another user. */
  EMAIL_TAKEN: 'USER.EMAIL_TAKEN',
  /** 409: the username (compared case-insensitively) belongs to another user. */
  USERNAME_TAKEN: 'USER.USERNAME_TAKEN',
  /** 409: the Telegram id is linked to another user. */
  TELEGRAM_ID_TAKEN: 'USER.TELEGRAM_ID_TAKEN',
  /** 412: `If-Match` / `expected_version` is not the current version (`current_version` is in the body). */
  VERSION_MISMATCH: 'USER.VERSION_MISMATCH',
} as const;
