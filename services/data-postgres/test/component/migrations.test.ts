import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Migration, readMigrations } from '../../src/db/migration-files.js';
import { createMigrator } from '../../src/db/migrator.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
});
afterAll(async () => database?.drop());

async function tables(): Promise<string[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    return rows.map((row) => row.table_name);
  } finally {
    await client.end();
  }
}

const APP_TABLES = ['documents', 'media_jobs', 'outbox', 'refresh_tokens', 'schema_migrations', 'users'];

describe('the migrations shipped with the service', () => {
  it('apply, roll back completely and apply again', async () => {
    const migrator = createMigrator({ connectionString: database.url });
    const shipped = await readMigrations();
    expect(shipped.length).toBeGreaterThan(0);

    const first = await migrator.up();
    expect(first.applied).toHaveLength(shipped.length);
    expect(await tables()).toEqual(APP_TABLES);
    expect((await migrator.status()).every((state) => state.appliedAt !== null)).toBe(true);

    expect((await migrator.up()).applied).toEqual([]);

    const down = await migrator.down(0);
    expect(down.rolledBack).toHaveLength(shipped.length);
    expect(await tables()).toEqual(['schema_migrations']);
    expect((await migrator.status()).every((state) => state.appliedAt === null)).toBe(true);

    const again = await migrator.up();
    expect(again.applied).toEqual(first.applied);
    expect(await tables()).toEqual(APP_TABLES);
  });
});

describe('the migrator', () => {
  const fake = (version: number, up: string, down: string): Migration => ({
    version,
    name: `step_${version}`,
    up,
    down,
    checksum: String(version).repeat(64).slice(0, 64),
  });
  const steps = [
    fake(1, 'CREATE TABLE t1 (id int)', 'DROP TABLE t1'),
    fake(2, 'CREATE TABLE t2 (id int)', 'DROP TABLE t2'),
    fake(3, 'CREATE TABLE t3 (id int)', 'DROP TABLE t3'),
  ];
  let scratch: TestDatabase;
  beforeAll(async () => {
    scratch = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => scratch?.drop());

  it('applies up to a version, rolls back one by default and down to a version with --to', async () => {
    const migrator = createMigrator({ connectionString: scratch.url, migrations: steps });
    expect((await migrator.up(2)).applied).toEqual(['0001_step_1', '0002_step_2']);
    expect((await migrator.up()).applied).toEqual(['0003_step_3']);
    expect((await migrator.down()).rolledBack).toEqual(['0003_step_3']);
    expect((await migrator.down(0)).rolledBack).toEqual(['0002_step_2', '0001_step_1']);
  });

  it('lets two processes migrate at once: the advisory lock serializes them and each step applies once', async () => {
    const one = createMigrator({ connectionString: scratch.url, migrations: steps });
    const two = createMigrator({ connectionString: scratch.url, migrations: steps });
    const [a, b] = await Promise.all([one.up(), two.up()]);
    expect([...a.applied, ...b.applied].sort()).toEqual(['0001_step_1', '0002_step_2', '0003_step_3']);
    await one.down(0);
  });

  it('rolls a failing script back entirely and records nothing', async () => {
    const broken = [
      ...steps.slice(0, 1),
      fake(2, 'CREATE TABLE t2 (id int); SELECT no_such_function()', 'DROP TABLE t2'),
    ];
    const migrator = createMigrator({ connectionString: scratch.url, migrations: broken });
    await expect(migrator.up()).rejects.toThrow(/0002_step_2 \(up\) failed/);
    const status = await migrator.status();
    expect(status.map((state) => state.appliedAt !== null)).toEqual([true, false]);
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    const { rows } = await client.query("SELECT to_regclass('t2') AS t2");
    await client.end();
    expect(rows[0].t2).toBeNull();
    await migrator.down(0);
  });

  it('refuses to run when an applied script was changed afterwards', async () => {
    await createMigrator({ connectionString: scratch.url, migrations: steps.slice(0, 1) }).up();
    const edited = [{ ...fake(1, 'CREATE TABLE t1 (id bigint)', 'DROP TABLE t1'), checksum: 'f'.repeat(64) }];
    const migrator = createMigrator({ connectionString: scratch.url, migrations: edited });
    await expect(migrator.up()).rejects.toThrow(/0001_step_1 was changed after it was applied/);
    expect((await migrator.status())[0]?.changed).toBe(true);
    await createMigrator({ connectionString: scratch.url, migrations: steps.slice(0, 1) }).down(0);
  });
});
