import { type Static, Type } from 'typebox';
import { Timestamp, Uuid } from '../common.v1.js';

/** SHA-256 of a refresh token, lower-case hex. The api hashes; a raw token never reaches data-postgres. */
export const RefreshTokenHashSchema = Type.String({
  minLength: 64,
  maxLength: 64,
  pattern: '^[0-9a-f]{64}$',
  description: 'SHA-256 of the refresh token, lower-case hex.',
});

/**
 * A stored refresh token. It is usable while `revoked_at` and `replaced_by` are null and `expires_at`
 * is in the future; `replaced_by` is set when it was rotated into the token with that id.
 */
export const RefreshTokenSchema = Type.Object(
  {
    id: Uuid,
    user_id: Uuid,
    token_hash: RefreshTokenHashSchema,
    family_id: Uuid,
    expires_at: Timestamp,
    revoked_at: Type.Union([Timestamp, Type.Null()]),
    replaced_by: Type.Union([Uuid, Type.Null()]),
    created_at: Timestamp,
  },
  { additionalProperties: false },
);
/** A stored refresh token. */
export type RefreshToken = Static<typeof RefreshTokenSchema>;

/** `POST /api/v1/refresh-tokens` body: a token that starts a family (`family_id` defaults to its id). */
export const CreateRefreshTokenBodySchema = Type.Object(
  {
    id: Type.Optional(Uuid),
    user_id: Uuid,
    token_hash: RefreshTokenHashSchema,
    family_id: Type.Optional(Uuid),
    expires_at: Timestamp,
  },
  { additionalProperties: false },
);
/** `POST /api/v1/refresh-tokens` body. */
export type CreateRefreshTokenBody = Static<typeof CreateRefreshTokenBodySchema>;

/**
 * `POST /api/v1/refresh-tokens/rotate` body: the presented token's hash and its replacement. In one
 * transaction the presented token is marked replaced and the replacement (same user, same family) is
 * stored. A token already rotated answers 409 `REFRESH_TOKEN.REUSED` (with `family_id` and `user_id`,
 * so the caller can revoke the family), a revoked one `REFRESH_TOKEN.REVOKED`, an expired one
 * `REFRESH_TOKEN.EXPIRED`, an unknown one 404 `REFRESH_TOKEN.NOT_FOUND`.
 */
export const RotateRefreshTokenBodySchema = Type.Object(
  {
    token_hash: RefreshTokenHashSchema,
    replacement: Type.Object(
      { id: Type.Optional(Uuid), token_hash: RefreshTokenHashSchema, expires_at: Timestamp },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
/** `POST /api/v1/refresh-tokens/rotate` body. */
export type RotateRefreshTokenBody = Static<typeof RotateRefreshTokenBodySchema>;

/** The result of a rotation: the presented token (now replaced) and the new one. */
export const RefreshTokenRotationSchema = Type.Object(
  { previous: RefreshTokenSchema, current: RefreshTokenSchema },
  { additionalProperties: false },
);
/** The result of a rotation. */
export type RefreshTokenRotation = Static<typeof RefreshTokenRotationSchema>;

/** How many tokens a revocation marked revoked (tokens already revoked are not counted). */
export const RefreshTokenRevocationSchema = Type.Object(
  { revoked: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
/** The result of a revocation. */
export type RefreshTokenRevocation = Static<typeof RefreshTokenRevocationSchema>;

/** Path parameter `:token_hash`. */
export const RefreshTokenHashParamsSchema = Type.Object(
  { token_hash: RefreshTokenHashSchema },
  { additionalProperties: false },
);
/** Path parameter `:family_id`. */
export const RefreshTokenFamilyParamsSchema = Type.Object(
  { family_id: Uuid },
  { additionalProperties: false },
);
/** Path parameter `:user_id`. */
export const RefreshTokenUserParamsSchema = Type.Object({ user_id: Uuid }, { additionalProperties: false });

/** Error codes data-postgres answers about refresh tokens (problem+json `code`). */
export const RefreshTokenErrorCode = {
  /** 404: no token with this hash. */
  NOT_FOUND: 'REFRESH_TOKEN.NOT_FOUND',
  /** 409: a token with this id exists already. */
  ALREADY_EXISTS: 'REFRESH_TOKEN.ALREADY_EXISTS',
  /** 409: a token with this hash exists already. */
  HASH_TAKEN: 'REFRESH_TOKEN.HASH_TAKEN',
  /** 409: the presented token was rotated before: reuse (body has `family_id`, `user_id`). */
  REUSED: 'REFRESH_TOKEN.REUSED',
  /** 409: the presented token was revoked (body has `family_id`, `user_id`). */
  REVOKED: 'REFRESH_TOKEN.REVOKED',
  /** 409: the presented token has expired. */
  EXPIRED: 'REFRESH_TOKEN.EXPIRED',
  /** 422: `user_id` names no user. */
  USER_NOT_FOUND: 'REFRESH_TOKEN.USER_NOT_FOUND',
} as const;
