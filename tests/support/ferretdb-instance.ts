import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort } from '../e2e/helpers/service-process.js';
import { stopServerProcess, waitUntilAnswering } from './server-process.js';

/** A MongoDB-wire server of a test's own, which the test may stop and start again. */
export interface FerretdbInstance {
  /** `mongodb://127.0.0.1:<port>/`. */
  url: string;
  /** Stops the server (SIGTERM) and waits for it to exit: the store is down. */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it answers. */
  start(): Promise<void>;
  /** Stops it for good and removes its state directory. */
  close(): Promise<void>;
}

/**
 * Runs a FerretDB of its own (the binary `npm run infra -- up` built into the tools cache) on a free
 * port, on the same PostgreSQL database as the shared one (`ferretdb`, with its index companions):
 * each MongoDB database is a schema there, so a test's own database name keeps its data apart. A test
 * can stop this server to take the store down without touching the one other tests use.
 */
export async function startFerretdbInstance(): Promise<FerretdbInstance> {
  const postgres = process.env.POSTGRES_URL;
  if (!postgres) throw new Error('POSTGRES_URL is not set: run `npm run infra -- up` first');
  const postgresUrl = new URL(postgres);
  postgresUrl.pathname = '/ferretdb';
  const binary = join(
    process.env.FLOTILLA_TOOLS_DIR || join(homedir(), '.cache', 'flotilla'),
    'bin',
    'ferretdb',
  );
  const port = await freePort();
  const stateDir = await mkdtemp(join(tmpdir(), 'flotilla-ferretdb-'));
  const url = `mongodb://127.0.0.1:${port}/`;
  let child: ChildProcess | undefined;

  async function answers(): Promise<boolean> {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
    try {
      await client.db('admin').command({ ping: 1 });
      return true;
    } catch {
      return false;
    } finally {
      await client.close();
    }
  }

  async function start(): Promise<void> {
    const process_ = spawn(
      binary,
      [
        '--handler=postgresql',
        `--listen-addr=127.0.0.1:${port}`,
        `--state-dir=${stateDir}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=error',
      ],
      { env: { PATH: process.env.PATH, FERRETDB_POSTGRESQL_URL: postgresUrl.toString() }, stdio: 'ignore' },
    );
    child = process_;
    await waitUntilAnswering(process_, 'ferretdb', answers, { timeoutMs: 30_000, pollMs: 200 });
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    await stopServerProcess(running, 'SIGTERM', 10_000);
  }

  await start();
  return {
    url,
    stop,
    start,
    async close() {
      await stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
