import {
  PageQuery,
  TelegramIdSchema,
  Timestamp,
  UserDisplayNameSchema,
  UserEmailSchema,
  UsernameSchema,
  UserRoleSchema,
  UserStatusSchema,
  Uuid,
} from '@flotilla/contracts';
import { type Static, Type } from 'typebox';

/** A password within the configured bounds (the maximum bounds hashing cost). */
export function PasswordSchema(minLength: number, maxLength: number) {
  return Type.String({
    minLength,
    maxLength,
    description: `Password, ${minLength}-${maxLength} characters.`,
  });
}

/** The public view of a user (what `GET /users/me` answers). No password hash, ever. */
export const ProfileSchema = Type.Object(
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
  },
  { additionalProperties: false },
);
/** The public view of a user. */
export type Profile = Static<typeof ProfileSchema>;

/** `POST /auth/register` body. */
export function RegisterBodySchema(passwordMin: number, passwordMax: number) {
  return Type.Object(
    {
      email: UserEmailSchema,
      username: UsernameSchema,
      password: PasswordSchema(passwordMin, passwordMax),
      display_name: Type.Optional(Type.Union([UserDisplayNameSchema, Type.Null()])),
    },
    { additionalProperties: false },
  );
}

/**
 * `POST /auth/login` body. The password is bounded by the maximum only (a policy change must not lock
 * out old passwords), so an oversized one is refused before any hashing.
 */
export function LoginBodySchema(passwordMax: number) {
  return Type.Object(
    { email: UserEmailSchema, password: Type.String({ minLength: 1, maxLength: passwordMax }) },
    { additionalProperties: false },
  );
}

/** An opaque refresh token as the api issues it (43 base64url characters). */
export const RefreshTokenValueSchema = Type.String({
  minLength: 16,
  maxLength: 256,
  pattern: '^[A-Za-z0-9_-]+$',
});

/** `POST /auth/refresh` and `POST /auth/logout` body. */
export const RefreshBodySchema = Type.Object(
  { refresh_token: RefreshTokenValueSchema },
  { additionalProperties: false },
);

/** A token pair (OAuth 2 style names). */
export const TokenPairSchema = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the access token expires.' }),
    refresh_token: Type.String(),
    refresh_expires_in: Type.Integer({ description: 'Seconds until the refresh token expires.' }),
  },
  { additionalProperties: false },
);

/** `PATCH /users/me` body: only these fields; anything else (role, status, email...) is refused. */
export const PatchProfileBodySchema = Type.Object(
  {
    username: Type.Optional(UsernameSchema),
    display_name: Type.Optional(Type.Union([UserDisplayNameSchema, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** `POST /users/me/password` body. */
export function ChangePasswordBodySchema(passwordMin: number, passwordMax: number) {
  return Type.Object(
    {
      current_password: Type.String({ minLength: 1, maxLength: passwordMax }),
      new_password: PasswordSchema(passwordMin, passwordMax),
    },
    { additionalProperties: false },
  );
}

/** `POST /users/me/telegram/link-code` reply. */
export const LinkCodeSchema = Type.Object(
  {
    code: Type.String({ description: 'Send `/start <code>` to the bot. One use.' }),
    expires_in: Type.Integer({ description: 'Seconds until the code expires.' }),
  },
  { additionalProperties: false },
);

/** `GET /admin/users` query. */
export const AdminListUsersQuerySchema = Type.Object(
  {
    ...PageQuery.properties,
    status: Type.Optional(UserStatusSchema),
    role: Type.Optional(UserRoleSchema),
    search: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

/** A page of users (admin). */
export const ProfilePageSchema = Type.Object(
  { items: Type.Array(ProfileSchema), next_cursor: Type.Union([Type.String(), Type.Null()]) },
  { additionalProperties: false },
);

/** `:id` path parameter. */
export const UserIdParamsSchema = Type.Object({ id: Uuid }, { additionalProperties: false });
