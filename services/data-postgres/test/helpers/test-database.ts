import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createMigrator } from '../../src/db/migrator.js';

/** A database of its own for one test file. */
export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database (closing any connection still open to it). */
  drop(): Promise<void>;
}

/** The server URL from `.data/infra.env` (loaded by vitest.config.ts). */
export function serverUrl(): string {
  const url = process.env.POSTGRES_URL;
  if (!url) throw new Error('POSTGRES_URL is not set: run `npm run infra -- up` first');
  return url;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database with a random name on the local server; with `migrate` (the default) every
 * migration is applied to it.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `flotilla_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  const database: TestDatabase = {
    name,
    url: url.toString(),
    drop: () =>
      admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
  if (options.migrate ?? true) {
    try {
      await createMigrator({ connectionString: database.url }).up();
    } catch (error) {
      await database.drop();
      throw error;
    }
  }
  return database;
}
