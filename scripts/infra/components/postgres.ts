import { createHash } from 'node:crypto';
import { access, chown, mkdir, readdir, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { type Component, ComponentError, type InfraContext } from '../component.js';
import type { InfraConfig } from '../config.js';
import { findExecutable, isExecutable, run, runOrThrow } from '../exec.js';
import { renderTemplateFile } from '../generated-files.js';
import { aptInstall } from '../install/apt.js';
import type { ProcessSpec } from '../processes.js';

const PG_LIB = '/usr/lib/postgresql';
const ROLE = 'flotilla';
const DATABASE = 'flotilla';

/** Where postgres runs: its binaries, the OS user it runs as, and its directories. */
interface PgRuntime {
  binDir: string;
  uid: number | undefined;
  gid: number | undefined;
  superuser: string;
  home: string;
  dataDir: string;
  socketDir: string;
}

/**
 * Directory used instead of `.data/` when the `postgres` user cannot traverse the repository path
 * (for example a clone under /root): `down --purge` removes it too.
 */
export function postgresFallbackHome(config: InfraConfig): string {
  const hash = createHash('sha256').update(config.repoRoot).digest('hex').slice(0, 10);
  return join('/var/tmp', `flotilla-${hash}`);
}

async function findBinDir(): Promise<string | undefined> {
  const versions = await readdir(PG_LIB).catch(() => [] as string[]);
  for (const version of versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))) {
    const binDir = join(PG_LIB, version, 'bin');
    if ((await isExecutable(join(binDir, 'initdb'))) && (await isExecutable(join(binDir, 'postgres'))))
      return binDir;
  }
  return undefined;
}

async function systemUserIds(name: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const fields = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((entry) => entry[0] === name);
  if (!fields) throw new ComponentError('postgres', `the system user \`${name}\` does not exist`);
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

async function canTraverse(dir: string, uid: number, gid: number): Promise<boolean> {
  // `cd` as that user: a spawn's own cwd is entered before it drops root.
  return (await run('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { uid, gid })).code === 0;
}

let cached: PgRuntime | undefined;

async function runtime(ctx: InfraContext): Promise<PgRuntime> {
  if (cached) return cached;
  const { config } = ctx;
  let binDir = await findBinDir();
  if (!binDir) {
    await aptInstall(ctx, 'postgres', ['postgresql']);
    binDir = await findBinDir();
    if (!binDir)
      throw new ComponentError('postgres', `postgresql installed but no server found in ${PG_LIB}`);
  }
  let home = config.dataDir;
  if (!config.isRoot) {
    cached = {
      binDir,
      uid: undefined,
      gid: undefined,
      superuser: userInfo().username,
      home,
      ...dirs(config, home),
    };
    return cached;
  }
  // postgres refuses to run as root: it runs as the `postgres` system user.
  const { uid, gid } = await systemUserIds('postgres');
  await mkdir(home, { recursive: true, mode: 0o755 });
  if (!(await canTraverse(home, uid, gid))) {
    home = postgresFallbackHome(config);
    ctx.progress('postgres', `the postgres user cannot reach ${config.dataDir}; keeping its data in ${home}`);
  }
  cached = { binDir, uid, gid, superuser: 'postgres', home, ...dirs(config, home) };
  return cached;
}

function dirs(config: InfraConfig, home: string): { dataDir: string; socketDir: string } {
  return {
    dataDir: join(home, 'postgres'),
    socketDir: join(home === config.dataDir ? config.runDir : home, 'pg-socket'),
  };
}

async function psql(ctx: InfraContext): Promise<string> {
  const pg = await findBinDir();
  const found = pg ? join(pg, 'psql') : await findExecutable('psql', ctx.config.baseEnv.PATH);
  if (found) return found;
  await aptInstall(ctx, 'postgres', ['postgresql-client']);
  return (await findExecutable('psql', ctx.config.baseEnv.PATH, ['/usr/bin'])) ?? 'psql';
}

/** Runs one statement over TCP with the URL's credentials (password passed through PGPASSWORD). */
export async function postgresQuery(ctx: InfraContext, url: string, sql: string): Promise<string> {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  const env = { ...ctx.config.baseEnv, PGPASSWORD: password, PGCONNECT_TIMEOUT: '3' };
  const out = await runOrThrow(
    await psql(ctx),
    ['-X', '-q', '-t', '-A', '-d', parsed.toString(), '-c', sql],
    {
      env,
      timeoutMs: 10_000,
    },
  );
  return out.trim();
}

async function prepare(ctx: InfraContext): Promise<ProcessSpec> {
  const { config } = ctx;
  const pg = await runtime(ctx);
  const owned = { uid: pg.uid, gid: pg.gid };
  for (const [dir, mode] of [
    [pg.home, 0o755],
    [pg.dataDir, 0o700],
    [pg.socketDir, 0o755],
  ] as const) {
    await mkdir(dir, { recursive: true, mode });
    if (pg.uid !== undefined && pg.gid !== undefined && dir !== pg.home) await chown(dir, pg.uid, pg.gid);
  }
  const logFile = join(config.logsDir, 'postgres.log');
  const hasCluster = await access(join(pg.dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (!hasCluster) {
    ctx.progress('postgres', `initialising a cluster in ${pg.dataDir}`);
    await runOrThrow(
      join(pg.binDir, 'initdb'),
      [
        '-D',
        pg.dataDir,
        '-U',
        pg.superuser,
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--auth-local=peer',
        '--auth-host=scram-sha-256',
      ],
      { ...owned, cwd: pg.dataDir, logFile, env: config.baseEnv },
    );
  }
  const clusterVersion = (await readFile(join(pg.dataDir, 'PG_VERSION'), 'utf8')).trim();
  const serverVersion = pg.binDir.split('/').at(-2);
  if (clusterVersion !== serverVersion) {
    throw new ComponentError(
      'postgres',
      `the cluster in ${pg.dataDir} is version ${clusterVersion}, the server is ${serverVersion}`,
      'remove the old data with `npm run infra -- down --purge`',
    );
  }
  const settings = {
    listen_addresses: config.host,
    port: config.ports.postgres,
    unix_socket_directories: pg.socketDir,
    max_connections: 200,
  };
  return {
    command: join(pg.binDir, 'postgres'),
    args: [
      '-D',
      pg.dataDir,
      ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    ],
    env: config.baseEnv,
    cwd: pg.dataDir,
    ...owned,
    logFile,
  };
}

/**
 * Runs a SQL script as the cluster's superuser over our local server's socket (stops at the first
 * error). Only for the server this script runs.
 */
export async function runAsSuperuser(ctx: InfraContext, database: string, sql: string): Promise<void> {
  const pg = await runtime(ctx);
  await runOrThrow(
    await psql(ctx),
    [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      pg.socketDir,
      '-p',
      String(ctx.config.ports.postgres),
      '-U',
      pg.superuser,
      '-d',
      database,
    ],
    { uid: pg.uid, gid: pg.gid, cwd: pg.socketDir, input: sql, env: ctx.config.baseEnv, timeoutMs: 60_000 },
  );
}

/** Creates (or updates) the login role with its generated password and its database. */
async function initialize(ctx: InfraContext): Promise<void> {
  const template = join(ctx.config.repoRoot, 'infrastructure', 'postgres', 'init.sql.template');
  const sql = await renderTemplateFile(template, {
    POSTGRES_USER: ROLE,
    POSTGRES_PASSWORD: ctx.secrets.postgres,
    POSTGRES_DB: DATABASE,
  });
  await runAsSuperuser(ctx, 'postgres', sql);
}

/** PostgreSQL from Debian's packages, run as the `postgres` user with its data in `.data/postgres`. */
export const postgres: Component = {
  name: 'postgres',
  urlVar: 'POSTGRES_URL',
  acceptsExternal: true,
  portVars: ['POSTGRES_PORT'],
  startTimeoutMs: 60_000,
  stopSignal: 'SIGINT',
  ports: (ctx) => [ctx.config.ports.postgres],
  localUrl: (ctx) =>
    `postgres://${ROLE}:${ctx.secrets.postgres}@${ctx.config.host}:${ctx.config.ports.postgres}/${DATABASE}`,
  isReady: async (ctx, url) => (await postgresQuery(ctx, url, 'SELECT 1').catch(() => '')) === '1',
  version: async (ctx, url) =>
    `PostgreSQL ${(await postgresQuery(ctx, url, 'SHOW server_version')).split(' ')[0]}`,
  install: async (ctx) => {
    await runtime(ctx);
  },
  prepare,
  isStarted: async (ctx) => {
    const pg = await runtime(ctx);
    const args = ['-q', '-h', ctx.config.host, '-p', String(ctx.config.ports.postgres), '-t', '2'];
    return (await run(join(pg.binDir, 'pg_isready'), args, { env: ctx.config.baseEnv })).code === 0;
  },
  initialize,
};
