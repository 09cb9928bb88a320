import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../e2e/helpers/service-process.js';
import { stopServerProcess, waitUntilAnswering } from './server-process.js';

/** A PostgreSQL cluster of a test's own, which the test may stop and start again. */
export interface PostgresInstance {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres` (the superuser, over TCP). */
  url: string;
  /** Stops the server (fast shutdown: open sessions are ended) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory and waits until it answers. */
  start(): Promise<void>;
  /** Stops it for good and removes its data directory. */
  close(): Promise<void>;
}

const PG_LIB = '/usr/lib/postgresql';

async function binDir(): Promise<string> {
  const versions = (await readdir(PG_LIB).catch(() => [] as string[])).filter((v) => /^\d+$/.test(v));
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server in ${PG_LIB}: run \`npm run infra -- up\` first`);
  return join(PG_LIB, newest, 'bin');
}

/** The `postgres` system user's ids when we run as root (the server refuses to run as root). */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const entry = (await readFile('/etc/passwd', 'utf8'))
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (!entry) throw new Error('running as root but the system user `postgres` does not exist');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

function run(command: string, args: string[], user: { uid: number; gid: number } | undefined, cwd: string) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], ...user });
    const errors: Buffer[] = [];
    child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${Buffer.concat(errors)}`)),
    );
  });
}

/**
 * Initialises a PostgreSQL cluster (the Debian server `npm run infra -- up` installed) in a temporary
 * directory and runs it on a free loopback port with a random superuser password, so a test can take
 * PostgreSQL down without touching the shared server.
 */
export async function startPostgresInstance(): Promise<PostgresInstance> {
  const bin = await binDir();
  const user = await serverUser();
  const home = await mkdtemp(join(tmpdir(), 'flotilla-postgres-'));
  const dataDir = join(home, 'data');
  const password = randomBytes(18).toString('hex');
  await mkdir(dataDir, { mode: 0o700 });
  await writeFile(join(home, 'pwfile'), password, { mode: 0o600 });
  if (user) {
    for (const path of [home, dataDir, join(home, 'pwfile')]) await chown(path, user.uid, user.gid);
  }
  await run(
    join(bin, 'initdb'),
    [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--auth=scram-sha-256',
      `--pwfile=${join(home, 'pwfile')}`,
      '--no-sync',
    ],
    user,
    home,
  );
  const port = await freePort();
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;

  async function answers(): Promise<boolean> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async function start(): Promise<void> {
    const settings = {
      listen_addresses: '127.0.0.1',
      port,
      unix_socket_directories: home,
      max_connections: 100,
      fsync: 'off',
      synchronous_commit: 'off',
    };
    const process_ = spawn(
      join(bin, 'postgres'),
      ['-D', dataDir, ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])],
      { cwd: home, stdio: 'ignore', ...user },
    );
    child = process_;
    await waitUntilAnswering(process_, 'postgres', answers, { timeoutMs: 30_000, pollMs: 150 });
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    await stopServerProcess(running, 'SIGINT', 15_000);
  }

  await start();
  return {
    url,
    stop,
    start,
    async close() {
      await stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
