import pg from 'pg';
import { label, type Migration, readMigrations } from './migration-files.js';

/** One migration's state in a database. */
export interface MigrationState {
  version: number;
  name: string;
  /** When it was applied, or `null` when pending. */
  appliedAt: Date | null;
  /** Applied, but its up script changed since. */
  changed: boolean;
  /** Applied, but this build has no file for it (the database is newer than the code). */
  missing: boolean;
}

/** What `up` or `down` did. */
export interface MigrationRun {
  applied: string[];
  rolledBack: string[];
}

/** Options of {@link createMigrator}. */
export interface MigratorOptions {
  connectionString: string;
  /** Defaults to the migrations shipped with the service. */
  migrations?: Migration[];
  /** Progress lines (`applied 0001_init in 12 ms`). */
  log?: (line: string) => void;
  /** Longest wait for another migrating process to finish. Default 60 s. */
  lockTimeoutMs?: number;
}

/** Applies and rolls back migrations; see {@link createMigrator}. */
export interface Migrator {
  /** Applies pending migrations in order, up to and including version `to` (default: all). */
  up(to?: number): Promise<MigrationRun>;
  /** Rolls back applied migrations newer than version `to` (default: only the latest one). */
  down(to?: number): Promise<MigrationRun>;
  /** Every migration known to the build or recorded in the database, in version order. */
  status(): Promise<MigrationState[]>;
}

/** Advisory lock key shared by every process that migrates this database. */
const LOCK_KEY = "hashtext('flotilla:data-postgres:schema_migrations')";

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   char(64) NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

/**
 * Versioned SQL migrations with up and down scripts. Each script runs in its own transaction together
 * with its row in `schema_migrations`, so a failing script leaves nothing behind. A session-level
 * advisory lock makes concurrent migrators (two replicas starting, a launcher and an operator) run one
 * after the other; the second then finds nothing left to do. Refuses to run when an applied
 * migration's up script changed or the database has versions this build does not know.
 */
export function createMigrator(options: MigratorOptions): Migrator {
  const log = options.log ?? (() => undefined);

  async function withLockedClient<T>(
    work: (client: pg.Client, known: Migration[]) => Promise<T>,
  ): Promise<T> {
    const known = options.migrations ?? (await readMigrations());
    const client = new pg.Client({
      connectionString: options.connectionString,
      application_name: 'flotilla-data-postgres-migrate',
    });
    await client.connect();
    try {
      await client.query(`SET lock_timeout = ${Math.trunc(options.lockTimeoutMs ?? 60_000)}`);
      await client.query(`SELECT pg_advisory_lock(${LOCK_KEY})`);
      try {
        await client.query('RESET lock_timeout');
        await client.query(CREATE_TABLE);
        return await work(client, known);
      } finally {
        await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`);
      }
    } finally {
      await client.end();
    }
  }

  async function readApplied(client: pg.Client): Promise<Map<number, AppliedRow>> {
    const { rows } = await client.query<AppliedRow>(
      'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
    );
    return new Map(rows.map((row) => [row.version, row]));
  }

  function assertConsistent(known: Migration[], applied: Map<number, AppliedRow>): void {
    const byVersion = new Map(known.map((migration) => [migration.version, migration]));
    const problems: string[] = [];
    for (const row of applied.values()) {
      const migration = byVersion.get(row.version);
      if (!migration)
        problems.push(`${label(row.version, row.name)} is applied but has no file in this build`);
      else if (migration.checksum !== row.checksum) {
        problems.push(`${label(row.version, row.name)} was changed after it was applied`);
      }
    }
    if (problems.length > 0) throw new Error(`Migrations are inconsistent: ${problems.join('; ')}`);
  }

  async function runInTransaction(client: pg.Client, script: string, record: () => Promise<unknown>) {
    await client.query('BEGIN');
    try {
      await client.query(script);
      await record();
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }

  return {
    up: (to) =>
      withLockedClient(async (client, known) => {
        const applied = await readApplied(client);
        assertConsistent(known, applied);
        const run: MigrationRun = { applied: [], rolledBack: [] };
        for (const migration of known) {
          if (applied.has(migration.version) || (to !== undefined && migration.version > to)) continue;
          const name = label(migration.version, migration.name);
          const started = performance.now();
          try {
            await runInTransaction(client, migration.up, () =>
              client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
                migration.version,
                migration.name,
                migration.checksum,
              ]),
            );
          } catch (error) {
            throw new Error(`Migration ${name} (up) failed: ${(error as Error).message}`, { cause: error });
          }
          run.applied.push(name);
          log(`applied ${name} in ${Math.round(performance.now() - started)} ms`);
        }
        return run;
      }),

    down: (to) =>
      withLockedClient(async (client, known) => {
        const applied = await readApplied(client);
        assertConsistent(known, applied);
        const newestFirst = known.filter((migration) => applied.has(migration.version)).reverse();
        const targets =
          to === undefined
            ? newestFirst.slice(0, 1)
            : newestFirst.filter((migration) => migration.version > to);
        const run: MigrationRun = { applied: [], rolledBack: [] };
        for (const migration of targets) {
          const name = label(migration.version, migration.name);
          const started = performance.now();
          try {
            await runInTransaction(client, migration.down, () =>
              client.query('DELETE FROM schema_migrations WHERE version = $1', [migration.version]),
            );
          } catch (error) {
            throw new Error(`Migration ${name} (down) failed: ${(error as Error).message}`, { cause: error });
          }
          run.rolledBack.push(name);
          log(`rolled back ${name} in ${Math.round(performance.now() - started)} ms`);
        }
        return run;
      }),

    status: () =>
      withLockedClient(async (client, known) => {
        const applied = await readApplied(client);
        const states: MigrationState[] = known.map((migration) => {
          const row = applied.get(migration.version);
          return {
            version: migration.version,
            name: migration.name,
            appliedAt: row?.applied_at ?? null,
            changed: row !== undefined && row.checksum !== migration.checksum,
            missing: false,
          };
        });
        const knownVersions = new Set(known.map((migration) => migration.version));
        for (const row of applied.values()) {
          if (knownVersions.has(row.version)) continue;
          states.push({
            version: row.version,
            name: row.name,
            appliedAt: row.applied_at,
            changed: false,
            missing: true,
          });
        }
        return states.sort((a, b) => a.version - b.version);
      }),
  };
}
