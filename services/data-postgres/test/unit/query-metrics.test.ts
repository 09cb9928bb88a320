import {
  CamelCasePlugin,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { operationName } from '../../src/db/query-metrics.js';
import type { DatabaseSchema } from '../../src/db/schema.js';

const db = new Kysely<DatabaseSchema>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new PostgresIntrospector(kysely),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
  plugins: [new CamelCasePlugin()],
});

describe('query operation names', () => {
  it('name a query by table and statement kind, never by its SQL or values', () => {
    expect(
      operationName(db.selectFrom('users').selectAll().where('email', '=', 'a@b.c').compile().query),
    ).toBe('users.select');
    expect(operationName(db.selectFrom('mediaJobs as j').selectAll().compile().query)).toBe(
      'media_jobs.select',
    );
    expect(
      operationName(
        db
          .insertInto('refreshTokens')
          .values({} as never)
          .compile().query,
      ),
    ).toBe('refresh_tokens.insert');
    expect(operationName(db.updateTable('documents').set({ title: 'x' }).compile().query)).toBe(
      'documents.update',
    );
    expect(operationName(db.deleteFrom('users').compile().query)).toBe('users.delete');
  });

  it('name transaction statements and raw SQL without their text', () => {
    expect(operationName(sql`begin`.compile(db).query)).toBe('transaction.begin');
    expect(operationName(sql`commit`.compile(db).query)).toBe('transaction.commit');
    expect(operationName(sql`rollback`.compile(db).query)).toBe('transaction.rollback');
    expect(operationName(sql`select ${1} from secrets`.compile(db).query)).toBe('raw');
  });
});
