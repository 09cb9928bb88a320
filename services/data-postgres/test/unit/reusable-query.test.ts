import {
  CamelCasePlugin,
  type CompiledQuery,
  type DatabaseConnection,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import { reusableQuery } from '../../src/db/reusable-query.js';
import type { DatabaseSchema } from '../../src/db/schema.js';

/** A database that records what it is sent and answers one snake_case row. */
function recordingDb() {
  const sent: CompiledQuery[] = [];
  const connection: DatabaseConnection = {
    async executeQuery<R>(query: CompiledQuery) {
      sent.push(query);
      return { rows: [{ display_name: `name of ${String(query.parameters[0])}` }] as R[] };
    },
    // biome-ignore lint/correctness/useYield: never streamed here.
    async *streamQuery() {
      throw new Error('not used');
    },
  };
  const db = new Kysely<DatabaseSchema>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => ({
        init: async () => undefined,
        acquireConnection: async () => connection,
        beginTransaction: async () => undefined,
        commitTransaction: async () => undefined,
        rollbackTransaction: async () => undefined,
        releaseConnection: async () => undefined,
        destroy: async () => undefined,
      }),
      createIntrospector: (kysely) => new PostgresIntrospector(kysely),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    plugins: [new CamelCasePlugin()],
  });
  return { db, sent };
}

describe('reusableQuery', () => {
  it('sends the SQL Kysely compiled with each call’s own argument, and maps the row to camelCase', async () => {
    const { db, sent } = recordingDb();
    const byId = reusableQuery(db, (id: string) =>
      db.selectFrom('users').select(['id', 'displayName']).where('id', '=', id),
    );
    const first = await byId('a');
    const second = await byId('b');
    const built = db.selectFrom('users').select(['id', 'displayName']).where('id', '=', 'b').compile();
    expect(sent.map((query) => query.parameters)).toEqual([['a'], ['b']]);
    expect(sent[1]?.sql).toBe(built.sql);
    expect(first).toEqual({ displayName: 'name of a' });
    expect(second).toEqual({ displayName: 'name of b' });
  });

  it('refuses a query that does not use its argument exactly once', () => {
    const { db } = recordingDb();
    expect(() => reusableQuery(db, (_id: string) => db.selectFrom('users').select('id'))).toThrow(
      /exactly once/,
    );
    expect(() =>
      reusableQuery(db, (id: string) =>
        db.selectFrom('users').select('id').where('id', '=', id).where('email', '=', id),
      ),
    ).toThrow(/exactly once/);
  });
});
