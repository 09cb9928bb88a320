import { newId } from '@flotilla/platform';
import { type Selectable, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { type KeysetPage, type Position, takePage } from '../../db/keyset.js';
import { reusableQuery } from '../../db/reusable-query.js';
import type { UsersTable } from '../../db/schema.js';
import { userErrors } from './users.errors.js';

/** A stored user, without its password hash. */
export type UserRecord = Omit<Selectable<UsersTable>, 'passwordHash'>;

/** What creating a user needs. */
export interface NewUser {
  id?: string;
  email: string;
  username: string;
  displayName?: string | null;
  passwordHash: string;
  role?: UserRecord['role'];
  status?: UserRecord['status'];
  telegramId?: number | null;
}

/** Fields a patch may change. */
export type UserChanges = Partial<Omit<NewUser, 'id'>>;

/** Filters of {@link UsersRepository.list}. */
export interface UserFilter {
  status?: UserRecord['status'];
  role?: UserRecord['role'];
  emailPrefix?: string;
  search?: string;
  limit: number;
  after?: Position;
}

const USER_COLUMNS = [
  'id',
  'email',
  'username',
  'displayName',
  'role',
  'status',
  'telegramId',
  'createdAt',
  'updatedAt',
  'version',
] as const;

/** `%`, `_` and `\` match literally in a LIKE pattern. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function normalised<T extends { email?: string }>(input: T): T {
  return input.email === undefined ? input : { ...input, email: input.email.toLowerCase() };
}

/** Users in PostgreSQL. Emails are stored lower-cased, so lookups and uniqueness ignore case. */
export class UsersRepository {
  // The lookups every authenticated request and every login make, compiled once (see reusable-query.ts).
  private readonly byId;
  private readonly byEmail;
  private readonly byTelegramId;
  private readonly credentialsById;
  private readonly credentialsByEmail;

  constructor(private readonly db: Db) {
    const users = () => db.selectFrom('users').select(USER_COLUMNS);
    const credentials = () => db.selectFrom('users').select([...USER_COLUMNS, 'passwordHash']);
    this.byId = reusableQuery(db, (id: string) => users().where('id', '=', id));
    this.byEmail = reusableQuery(db, (email: string) => users().where('email', '=', email));
    this.byTelegramId = reusableQuery(db, (telegramId: number) =>
      users().where('telegramId', '=', telegramId),
    );
    this.credentialsById = reusableQuery(db, (id: string) => credentials().where('id', '=', id));
    this.credentialsByEmail = reusableQuery(db, (email: string) => credentials().where('email', '=', email));
  }

  /** The same repository over another handle (a transaction). */
  on(db: Db): UsersRepository {
    return new UsersRepository(db);
  }

  async create(input: NewUser): Promise<UserRecord> {
    const { id = newId(), ...rest } = normalised(input);
    return this.db
      .insertInto('users')
      .values({ id, ...rest })
      .returning(USER_COLUMNS)
      .executeTakeFirstOrThrow();
  }

  findById(id: string): Promise<UserRecord | undefined> {
    return this.byId(id);
  }

  findByEmail(email: string): Promise<UserRecord | undefined> {
    return this.byEmail(email.toLowerCase());
  }

  findByTelegramId(telegramId: number): Promise<UserRecord | undefined> {
    return this.byTelegramId(telegramId);
  }

  /** The user and its password hash, for login and password change only. */
  async findCredentials(
    by: { email: string } | { id: string },
  ): Promise<{ user: UserRecord; passwordHash: string } | undefined> {
    const row = await ('email' in by
      ? this.credentialsByEmail(by.email.toLowerCase())
      : this.credentialsById(by.id));
    if (!row) return undefined;
    const { passwordHash, ...user } = row;
    return { user, passwordHash };
  }

  /** Newest first, keyset-paginated on `(created_at, id)`. */
  async list(filter: UserFilter): Promise<KeysetPage<UserRecord>> {
    const { status, role, emailPrefix, search, after } = filter;
    let query = this.db.selectFrom('users').select(USER_COLUMNS);
    if (status) query = query.where('status', '=', status);
    if (role) query = query.where('role', '=', role);
    if (emailPrefix) query = query.where('email', 'like', `${escapeLike(emailPrefix.toLowerCase())}%`);
    if (search) {
      const pattern = `%${escapeLike(search)}%`;
      query = query.where((eb) =>
        eb.or([
          eb('email', 'ilike', pattern),
          eb('username', 'ilike', pattern),
          eb('displayName', 'ilike', pattern),
        ]),
      );
    }
    if (after) {
      query = query.where((eb) =>
        eb(eb.refTuple('createdAt', 'id'), '<', eb.tuple(after.createdAt, after.id)),
      );
    }
    const rows = await query
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit + 1)
      .execute();
    return takePage(rows, filter.limit);
  }

  /**
   * Applies `changes` and bumps the version, atomically. With `expectedVersion`, only when the stored
   * version still is that one: else `USER.VERSION_MISMATCH` carrying the current version.
   */
  async update(id: string, changes: UserChanges, expectedVersion?: number): Promise<UserRecord> {
    let query = this.db
      .updateTable('users')
      .set({
        ...normalised(changes),
        version: sql<number>`version + 1`,
        updatedAt: sql<Date>`date_trunc('milliseconds', now())`,
      })
      .where('id', '=', id);
    if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
    const row = await query.returning(USER_COLUMNS).executeTakeFirst();
    if (row) return row;
    throw await this.whyNotWritten(id);
  }

  /** Deletes a user (and, by cascade, its tokens, jobs and documents). */
  async delete(id: string, expectedVersion?: number): Promise<void> {
    let query = this.db.deleteFrom('users').where('id', '=', id);
    if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
    const result = await query.executeTakeFirst();
    if (result.numDeletedRows > 0n) return;
    throw await this.whyNotWritten(id);
  }

  private async whyNotWritten(id: string) {
    const current = await this.db
      .selectFrom('users')
      .select('version')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!current) return userErrors.NOT_FOUND();
    return userErrors.VERSION_MISMATCH({
      detail: `The current version is ${current.version}`,
      data: { current_version: current.version },
    });
  }
}
