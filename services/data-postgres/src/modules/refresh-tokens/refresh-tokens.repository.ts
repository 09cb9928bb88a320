import { newId } from '@flotilla/platform';
import { type Selectable, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { RefreshTokensTable } from '../../db/schema.js';
import { refreshTokenErrors } from './refresh-tokens.errors.js';

/** A stored refresh token (its hash; never the token). */
export type RefreshTokenRecord = Selectable<RefreshTokensTable>;

/** What storing a token needs; `familyId` defaults to the token's own id (a new login). */
export interface NewRefreshToken {
  id?: string;
  userId: string;
  tokenHash: string;
  familyId?: string;
  expiresAt: Date;
}

/** The replacement issued by a rotation: same user, same family. */
export interface Replacement {
  id?: string;
  tokenHash: string;
  expiresAt: Date;
}

const now = () => sql<Date>`date_trunc('milliseconds', now())`;

/** Refresh tokens for the api's rotation scheme, in PostgreSQL. */
export class RefreshTokensRepository {
  constructor(private readonly db: Db) {}

  create(input: NewRefreshToken): Promise<RefreshTokenRecord> {
    const id = input.id ?? newId();
    return this.db
      .insertInto('refreshTokens')
      .values({
        id,
        userId: input.userId,
        tokenHash: input.tokenHash,
        familyId: input.familyId ?? id,
        expiresAt: input.expiresAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  findByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    return this.db
      .selectFrom('refreshTokens')
      .selectAll()
      .where('tokenHash', '=', tokenHash)
      .executeTakeFirst();
  }

  /**
   * In one transaction: locks the presented token, refuses it when it was rotated before (reuse),
   * revoked or expired, stores the replacement in its family and marks the presented one replaced.
   * Two concurrent rotations of one token serialize on the row lock: the second sees it replaced.
   */
  rotate(presentedHash: string, replacement: Replacement) {
    return this.db.transaction().execute(async (trx) => {
      const presented = await trx
        .selectFrom('refreshTokens')
        .selectAll()
        .select(sql<boolean>`expires_at <= now()`.as('expired'))
        .where('tokenHash', '=', presentedHash)
        .forUpdate()
        .executeTakeFirst();
      if (!presented) throw refreshTokenErrors.NOT_FOUND();
      const { expired, ...previous } = presented;
      const family = { data: { family_id: previous.familyId, user_id: previous.userId } };
      if (previous.replacedBy !== null) throw refreshTokenErrors.REUSED(family);
      if (previous.revokedAt !== null) throw refreshTokenErrors.REVOKED(family);
      if (expired) throw refreshTokenErrors.EXPIRED();

      const current = await trx
        .insertInto('refreshTokens')
        .values({
          id: replacement.id ?? newId(),
          userId: previous.userId,
          tokenHash: replacement.tokenHash,
          familyId: previous.familyId,
          expiresAt: replacement.expiresAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const rotated = await trx
        .updateTable('refreshTokens')
        .set({ replacedBy: current.id })
        .where('id', '=', previous.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { previous: rotated, current };
    });
  }

  /** Revokes every live token of a family; returns how many were revoked now. */
  async revokeFamily(familyId: string): Promise<number> {
    const result = await this.db
      .updateTable('refreshTokens')
      .set({ revokedAt: now() })
      .where('familyId', '=', familyId)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Revokes every live token of a user (log out everywhere, suspension, password change). */
  async revokeAllForUser(userId: string): Promise<number> {
    const result = await this.db
      .updateTable('refreshTokens')
      .set({ revokedAt: now() })
      .where('userId', '=', userId)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
