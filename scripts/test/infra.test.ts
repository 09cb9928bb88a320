import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { infraEnvPath, readInfraEnv } from '../infra/env-file.js';

// Runs against the infrastructure `npm run infra -- up` already started; never stops it.
const repoRoot = resolve(import.meta.dirname, '..', '..');
const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
const COMPONENTS = ['postgres', 'redis', 'rabbitmq', 'ferretdb', 'chroma', 'nginx'];
const URL_KEYS = {
  POSTGRES_URL: 'postgres:',
  MONGO_URL: 'mongodb:',
  REDIS_URL: 'redis:',
  RABBITMQ_URL: 'amqp:',
  RABBITMQ_MANAGEMENT_URL: 'http:',
  CHROMA_URL: 'http:',
  GATEWAY_URL: 'http:',
};

async function infra(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(tsx, [join(repoRoot, 'scripts', 'infra.ts'), ...args], {
    cwd: repoRoot,
    env: process.env,
  });
  return stdout;
}

function lineOf(output: string, component: string): string {
  return output.split('\n').find((line) => line.split(/\s+/)[1] === component) ?? '';
}

function isPortOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

async function gatewayUrl(): Promise<string> {
  const env = await readInfraEnv(repoRoot);
  expect(env.GATEWAY_URL).toBeDefined();
  return env.GATEWAY_URL as string;
}

describe('npm run infra', () => {
  it('status reports every component running, with the version its server gives', async () => {
    const output = await infra('status');
    for (const component of COMPONENTS) {
      const line = lineOf(output, component);
      expect(line, `status line of ${component}`).toMatch(/running\/(ours|external)/);
      expect(line, `version of ${component}`).toMatch(/\d+\.\d+/);
      expect(line, 'passwords are masked').not.toMatch(/:[0-9a-f]{64}@/);
    }
  });

  it('up on running infrastructure succeeds and starts nothing', async () => {
    const output = await infra('up');
    for (const component of COMPONENTS) {
      expect(lineOf(output, component), `up line of ${component}`).toMatch(/running \((reused|external)\)/);
    }
    expect(output).not.toContain('(started)');
  });

  it('writes every connection URL to .data/infra.env, readable by its owner only', async () => {
    const env = await readInfraEnv(repoRoot);
    for (const [key, protocol] of Object.entries(URL_KEYS)) {
      expect(env[key], key).toBeDefined();
      expect(new URL(env[key] as string).protocol, key).toBe(protocol);
    }
    expect((await stat(infraEnvPath(repoRoot))).mode & 0o777).toBe(0o600);
  });

  it('the gateway answers /health itself', async () => {
    const response = await fetch(`${await gatewayUrl()}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('when the api is not running, an /api/ request gets problem+json and its X-Request-ID back', async (ctx) => {
    if (await isPortOpen(Number(process.env.API_PORT ?? 8000))) ctx.skip('an api is running');
    const response = await fetch(`${await gatewayUrl()}/api/v1/users/me`, {
      headers: { 'X-Request-ID': 'infra-test-0001' },
    });
    expect([502, 503]).toContain(response.status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('x-request-id')).toBe('infra-test-0001');
    expect(await response.json()).toMatchObject({ status: response.status, title: expect.any(String) });
  });

  it('the gateway replaces an unsafe X-Request-ID with its own', async () => {
    const response = await fetch(`${await gatewayUrl()}/health`, {
      headers: { 'X-Request-ID': 'bad id"<>' },
    });
    const id = response.headers.get('x-request-id');
    expect(id).toBeTruthy();
    expect(id).not.toBe('bad id"<>');
  });

  it("FerretDB keeps its data in PostgreSQL, where a collection's index serves its equality finds", async () => {
    const env = await readInfraEnv(repoRoot);
    const database = `infra_test_${process.pid}`;
    const mongo = await MongoClient.connect(env.MONGO_URL as string);
    const ferretUrl = new URL(env.POSTGRES_URL as string);
    ferretUrl.pathname = '/ferretdb';
    const postgres = new pg.Client({ connectionString: ferretUrl.toString() });
    await postgres.connect();
    try {
      const chunks = mongo.db(database).collection('blobs.chunks');
      await chunks.createIndex({ files_id: 1, n: 1 }, { name: 'files_id_1_n_1', unique: true });
      await chunks.insertMany(Array.from({ length: 50 }, (_, n) => ({ files_id: `f${n % 5}`, n })));

      // The collection is a table in FerretDB's own database, one schema per MongoDB database.
      const { rows: tables } = await postgres.query<{ table: string }>(
        "SELECT _jsonb->>'table' AS table FROM " +
          `${pg.escapeIdentifier(database)}._ferretdb_database_metadata WHERE _jsonb->>'_id' = 'blobs.chunks'`,
      );
      const table = `${pg.escapeIdentifier(database)}.${pg.escapeIdentifier(tables[0]?.table ?? '')}`;
      // FerretDB's statement for `find({files_id: X})`, planned as it is there (with its parameters).
      const { rows: settings } = await postgres.query('SHOW plan_cache_mode');
      expect(settings[0].plan_cache_mode).toBe('force_custom_plan');
      await postgres.query('SET enable_seqscan = off');
      await postgres.query(
        `PREPARE find_chunks(text, jsonb) AS SELECT _jsonb FROM ${table} WHERE _jsonb->$1 @> $2`,
      );
      const { rows: plan } = await postgres.query(`EXPLAIN EXECUTE find_chunks('files_id', '"f3"')`);
      const text = plan.map((row: Record<string, string>) => Object.values(row)[0]).join('\n');
      expect(text).toMatch(/Index Scan on \S+_gin/);
      expect(await chunks.countDocuments({ files_id: 'f3' })).toBe(10);
    } finally {
      await mongo.db(database).dropDatabase();
      await mongo.close();
      await postgres.end();
    }
  });
});
