import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Component, ComponentError, type InfraContext } from '../component.js';
import { ensureFerretdb } from '../install/ferretdb.js';
import { mongoCommand } from '../server-probes.js';
import { postgres, postgresQuery, runAsSuperuser } from './postgres.js';

/** The PostgreSQL database FerretDB keeps its data in, beside the application's own. */
export const FERRETDB_DATABASE = 'ferretdb';

/**
 * URL of FerretDB's database on the PostgreSQL the infrastructure provides (ours, or the one
 * POSTGRES_URL names), with that server's credentials.
 */
export function ferretdbPostgresUrl(ctx: InfraContext): string {
  const url = new URL(ctx.config.urls.POSTGRES_URL ?? postgres.localUrl(ctx));
  url.pathname = `/${FERRETDB_DATABASE}`;
  return url.toString();
}

/** The URL without its password, as recorded and printed. */
function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}

/** Creates FerretDB's database when it does not exist (the role has CREATEDB). */
async function ensureDatabase(ctx: InfraContext): Promise<void> {
  const server = ctx.config.urls.POSTGRES_URL ?? postgres.localUrl(ctx);
  const exists = await postgresQuery(
    ctx,
    server,
    `SELECT 1 FROM pg_database WHERE datname = '${FERRETDB_DATABASE}'`,
  );
  if (exists === '1') return;
  await postgresQuery(ctx, server, `CREATE DATABASE ${FERRETDB_DATABASE}`).catch((error: Error) => {
    throw new ComponentError(
      'ferretdb',
      `could not create the PostgreSQL database ${FERRETDB_DATABASE}: ${error.message.split('\n')[0]}`,
      `create it (owned by the POSTGRES_URL user), or set MONGO_URL to an existing MongoDB`,
    );
  });
}

/**
 * Gives FerretDB's btree indexes GIN companions that its queries can use, and plans its statements
 * with their parameters (see `infrastructure/ferretdb/postgresql-indexes.sql` for why). Needs the
 * superuser (an event trigger): done as such on our own server; on a server given by POSTGRES_URL it
 * is tried with that URL's user, and without it reads slow down as the data grows.
 */
async function tuneIndexes(ctx: InfraContext): Promise<void> {
  const sql = await readFile(
    join(ctx.config.repoRoot, 'infrastructure', 'ferretdb', 'postgresql-indexes.sql'),
    'utf8',
  );
  const external = ctx.config.urls.POSTGRES_URL;
  if (external === undefined) {
    await runAsSuperuser(ctx, FERRETDB_DATABASE, sql);
    return;
  }
  await postgresQuery(ctx, ferretdbPostgresUrl(ctx), sql).catch((error: Error) => {
    ctx.progress(
      'ferretdb',
      `could not add index companions in ${FERRETDB_DATABASE} (${error.message.split('\n')[0]}); ` +
        'run infrastructure/ferretdb/postgresql-indexes.sql there as a superuser, or reads will slow down as data grows',
    );
  });
}

/**
 * Earlier versions kept FerretDB's data in SQLite files under `.data/ferretdb`, whose reads slowed
 * down as data grew. They are no longer read: say so plainly, with what to do about them.
 */
async function reportSqliteStore(ctx: InfraContext, dir: string): Promise<void> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.sqlite'));
  if (files.length === 0) return;
  ctx.progress(
    'ferretdb',
    `${dir} holds ${files.length} database file(s) of the former SQLite store (${files.join(', ')}): ` +
      `FerretDB now keeps its data in PostgreSQL (database ${FERRETDB_DATABASE}) and starts empty; the old ` +
      'files are not read or changed. Delete them when you no longer need them.',
  );
}

/**
 * A MongoDB wire protocol server: FerretDB v1 on its PostgreSQL handler, with its data in the
 * database `ferretdb` of the PostgreSQL the infrastructure runs (so it starts after it). On this
 * handler GridFS reads stay flat as data grows (on SQLite they slowed with every stored megabyte).
 * It listens on loopback only and has no authentication of its own (it connects to PostgreSQL with
 * that server's credentials); point MONGO_URL at a real MongoDB for anything else.
 */
export const ferretdb: Component = {
  name: 'ferretdb',
  urlVar: 'MONGO_URL',
  acceptsExternal: true,
  after: ['postgres'],
  portVars: ['MONGO_PORT'],
  startTimeoutMs: 60_000,
  ports: (ctx) => [ctx.config.ports.mongo],
  localUrl: (ctx) => `mongodb://${ctx.config.host}:${ctx.config.ports.mongo}/`,
  signature: (ctx) => `postgresql ${withoutPassword(ferretdbPostgresUrl(ctx))}`,
  isReady: async (_ctx, url) => {
    const reply = await mongoCommand(url, { ping: 1 }, 1500).catch(() => undefined);
    return reply?.ok === 1;
  },
  version: async (_ctx, url) => {
    const info = await mongoCommand(url, { buildInfo: 1 });
    const mongo = `MongoDB ${String(info.version)}`;
    return typeof info.ferretdbVersion === 'string' ? `FerretDB ${info.ferretdbVersion} (${mongo})` : mongo;
  },
  install: async (ctx) => {
    await ensureFerretdb(ctx);
  },
  prepare: async (ctx) => {
    const { config } = ctx;
    const dir = join(config.dataDir, 'ferretdb');
    const stateDir = join(dir, 'state');
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await reportSqliteStore(ctx, dir);
    await ensureDatabase(ctx);
    await tuneIndexes(ctx);
    return {
      command: await ensureFerretdb(ctx),
      args: [
        '--handler=postgresql',
        `--listen-addr=${config.host}:${config.ports.mongo}`,
        `--state-dir=${stateDir}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-format=text',
      ],
      // In the environment rather than the arguments: the URL carries the password.
      env: { ...config.baseEnv, FERRETDB_POSTGRESQL_URL: ferretdbPostgresUrl(ctx) },
      cwd: dir,
      logFile: join(config.logsDir, 'ferretdb.log'),
    };
  },
};
