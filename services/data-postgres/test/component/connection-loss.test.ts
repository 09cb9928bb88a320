import { Writable } from 'node:stream';
import { createLogger } from '@flotilla/platform';
import { sql } from 'kysely';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/database.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../helpers/test-database.js';

let testDb: TestDatabase;
let database: Database;
const lines: Array<{ level: string; msg: string }> = [];

beforeAll(async () => {
  testDb = await createTestDatabase({ migrate: false });
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  database = createDatabase(
    { url: testDb.url, poolMax: 2, statementTimeoutMs: 5000, connectTimeoutMs: 2000 },
    {
      logger: createLogger({ service: 'data-postgres', version: 'test', level: 'warn', destination }),
      registry: new Registry(),
    },
  );
});

afterAll(async () => {
  await database?.close().catch(() => undefined);
  await testDb?.drop();
});

async function terminateBackend(pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query('select pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
}

async function waitForLine(message: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!lines.some((line) => line.msg === message)) {
    if (Date.now() > deadline) throw new Error(`no log line "${message}"`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a PostgreSQL connection that breaks while in use', () => {
  it('is logged and fails only its own transaction (503 DB.UNAVAILABLE); the process lives on and the pool serves the next query', async () => {
    const transaction = database.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
      // What a server shutdown does to every session: the session ends between two queries (57P01).
      await terminateBackend(rows[0]?.pid as number);
      await waitForLine('PostgreSQL connection failed while in use');
      await sql`select 1`.execute(trx);
    });
    await expect(transaction).rejects.toMatchObject({ code: 'DB.UNAVAILABLE' });
    await expect(database.ping()).resolves.toBeUndefined();
    const { rows } = await sql<{ n: number }>`select 41 + 1 as n`.execute(database.db);
    expect(rows).toEqual([{ n: 42 }]);
  });
});
