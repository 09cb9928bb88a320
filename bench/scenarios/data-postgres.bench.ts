/**
 * data-postgres read path: `GET /api/v1/users/:id` through the real service (its own process, built,
 * over loopback HTTP with a service token, called through the typed client with keep-alive) vs the same
 * primary-key query sent with a raw `pg` pool from this process. Same database, same seeded rows,
 * same concurrency and pool size, same run.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createDataPostgresClient } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import pg from 'pg';
import { compare, round, runLoad, type Scenario } from '../lib/measure.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const serviceDir = join(repoRoot, 'services', 'data-postgres');
const USERS = 1000;
const CONCURRENCY = 16;
const POOL_SIZE = 10;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function seed(url: string): Promise<string[]> {
  const ids = Array.from({ length: USERS }, () => newId());
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO users (id, email, username, display_name, password_hash)
       SELECT id, 'bench' || n || '@example.com', 'bench_' || n, 'Bench ' || n, $2
       FROM unnest($1::uuid[]) WITH ORDINALITY AS seeded(id, n)`,
      [ids, `$argon2id$v=19$m=65536,t=3,p=4$${'s'.repeat(22)}$${'h'.repeat(43)}`],
    );
  } finally {
    await client.end();
  }
  return ids;
}

async function waitUntilReady(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`data-postgres exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error('data-postgres not ready in 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

const scenario: Scenario = {
  name: 'data-postgres',
  description: `data-postgres GET /api/v1/users/:id (own process, HTTP keep-alive, service token, typed client) vs a raw pg primary-key query, ${CONCURRENCY} concurrent callers, pool of ${POOL_SIZE} on both sides, ${USERS} seeded users.`,
  async run({ quick }) {
    if (!process.env.POSTGRES_URL) throw new Error('POSTGRES_URL is not set (npm run infra -- up)');
    execFileSync('npx', ['tsc', '-b'], { cwd: repoRoot, stdio: 'inherit' });
    const bounds = { maxOperations: quick ? 5_000 : 100_000, maxMs: quick ? 5_000 : 20_000, warmup: 300 };
    const name = `flotilla_bench_${randomBytes(6).toString('hex')}`;
    const url = new URL(process.env.POSTGRES_URL);
    url.pathname = `/${name}`;
    const databaseUrl = url.toString();
    await admin(`CREATE DATABASE ${name}`);
    let child: ChildProcess | undefined;
    try {
      execFileSync(process.execPath, ['dist/migrate.js', 'up'], {
        cwd: serviceDir,
        env: { PATH: process.env.PATH, POSTGRES_URL: databaseUrl, LOG_LEVEL: 'silent' },
        stdio: 'inherit',
      });
      const ids = await seed(databaseUrl);
      const pick = () => ids[Math.floor(Math.random() * ids.length)] ?? '';

      const token = randomBytes(32).toString('base64url');
      const port = await freePort();
      child = spawn(process.execPath, ['dist/main.js'], {
        cwd: serviceDir,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          LOG_LEVEL: 'warn',
          HOST: '127.0.0.1',
          PORT: String(port),
          POSTGRES_URL: databaseUrl,
          POSTGRES_POOL_MAX: String(POOL_SIZE),
          SERVICE_TOKENS: `api:${token}`,
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      await waitUntilReady(child, port);

      const client = createDataPostgresClient({
        baseUrl: `http://127.0.0.1:${port}`,
        callerName: 'api',
        serviceToken: token,
        connections: CONCURRENCY,
      });
      const system = await runLoad(
        async () => {
          if (!(await client.users.get(pick()))) throw new Error('user not found');
        },
        { label: 'data-postgres GET /users/:id', concurrency: CONCURRENCY, ...bounds },
      );
      system.rss_mb = await rssMb(child.pid as number);
      await client.close();

      const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL_SIZE });
      const columns =
        'id, email, username, display_name, role, status, telegram_id, created_at, updated_at, version';
      const baseline = await runLoad(
        async () => {
          const { rows } = await pool.query(`SELECT ${columns} FROM users WHERE id = $1`, [pick()]);
          if (rows.length !== 1) throw new Error('user not found');
        },
        { label: 'raw pg SELECT by primary key', concurrency: CONCURRENCY, ...bounds },
      );
      await pool.end();

      return [
        compare('data-postgres/get-user', scenario.description, system, baseline, {
          concurrency: CONCURRENCY,
          notes: [
            `Service RSS after the run ${system.rss_mb} MB.`,
            'The service adds HTTP parsing, token check, validation, mapping and serialization, plus a second process on the same cores.',
          ],
        }),
      ];
    } finally {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child?.once('exit', resolve));
      }
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  },
};

export default scenario;
