import type { Logger } from '@flotilla/platform';
import { CamelCasePlugin, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Registry } from 'prom-client';
import type { PostgresConfig } from '../config.js';
import { createQueryMetrics } from './query-metrics.js';
import type { DatabaseSchema } from './schema.js';
import { TranslatingDialect } from './translating-dialect.js';

/** The query builder every repository uses. */
export type Db = Kysely<DatabaseSchema>;

/** The database handle of data-postgres: the query builder, a readiness probe and the pool's closer. */
export interface Database {
  db: Db;
  /** Runs `select 1`; rejects when PostgreSQL cannot answer. */
  ping(): Promise<void>;
  /** Waits for checked-out connections to be returned, then closes the pool. */
  close(): Promise<void>;
}

const INT8_OID = 20;

/**
 * `bigint` columns hold byte counts and Telegram ids, all far below 2^53, so they are parsed to numbers
 * (the driver's default is a string). Counts (`count(*)`) are `bigint` too.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Creates the connection pool (size, connect and statement timeouts from config) and the Kysely
 * instance over it: camelCase in code, snake_case in SQL, database errors translated once
 * (see `translating-dialect.ts`) and every query timed into `db_query_duration_seconds`.
 * Nothing connects until the first query.
 */
export function createDatabase(
  config: PostgresConfig,
  options: { logger: Logger; registry: Registry; applicationName?: string },
): Database {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolMax,
    connectionTimeoutMillis: config.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: config.statementTimeoutMs,
    application_name: options.applicationName ?? 'flotilla-data-postgres',
    types,
  });
  // An idle connection that breaks (server restart, network) must not crash the process.
  pool.on('error', (error) => options.logger.warn({ err: error }, 'idle PostgreSQL connection failed'));
  // Nor one that breaks while checked out: the pool only listens on idle clients, and a server that shuts
  // down sends its 57P01 to every session, also between two queries of a transaction; without a listener
  // that 'error' event is an uncaught exception. The query in flight fails on its own (a 503), and the
  // pool drops the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', (error) =>
      options.logger.warn({ err: error }, 'PostgreSQL connection failed while in use'),
    );
  });

  const db = new Kysely<DatabaseSchema>({
    dialect: new TranslatingDialect(new PostgresDialect({ pool }), {
      statementTimeoutMs: config.statementTimeoutMs,
      connectTimeoutMs: config.connectTimeoutMs,
    }),
    plugins: [new CamelCasePlugin()],
    log: createQueryMetrics(options.registry),
  });

  return {
    db,
    async ping() {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
