/**
 * The read path's processes for the HTTP benchmarks, each its own built process (`node dist/main.js`)
 * on a fresh PostgreSQL database, a fresh MongoDB database, Redis database 15 and a RabbitMQ virtual
 * host of its own: data-postgres, data-mongo and any number of api processes. Users are seeded straight
 * into PostgreSQL and their access tokens signed with the api's own token code (no argon2 per user).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { createTestVhost, type TestVhost } from '../../packages/platform/test/component/messaging-broker.js';
import { createAccessTokens } from '../../services/api/src/modules/identity/adapters/access-tokens.jose.js';
import { baseServiceEnv } from '../../tests/e2e/helpers/service-process.js';
import { isolatedRedisUrl } from '../../tests/support/data-services.js';
import { type BenchProcess, startBuiltService } from './built-service.js';

const repoRoot = join(import.meta.dirname, '..', '..');

/** A seeded user: its id, email and an access token for it. */
export interface SeededUser {
  id: string;
  email: string;
  accessToken: string;
}

/** The running stack. */
export interface HttpStack {
  dataPostgres: BenchProcess;
  dataMongo: BenchProcess;
  databaseUrl: string;
  /** The api's service token for the data services. */
  serviceToken: string;
  /**
   * Inserts `count` users and signs a token for each. Their password hash is `passwordHash`, by default
   * a fixed one that verifies no password.
   */
  seedUsers(count: number, passwordHash?: string): Promise<SeededUser[]>;
  /** Starts an api process on this stack; `env` goes on top of the bench defaults. */
  startApi(name: string, env?: Record<string, string>, cpuProfileDir?: string): Promise<BenchProcess>;
  stop(): Promise<void>;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (npm run infra -- up)`);
  return value;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: requireEnv('POSTGRES_URL') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Options of {@link startHttpStack}. */
export interface HttpStackOptions {
  logDir: string;
  /** LOG_LEVEL of every process (the production default is `info`: one access log line per request). */
  logLevel: string;
  /** Environment of data-postgres on top of the defaults. */
  dataPostgresEnv?: Record<string, string>;
  /** `--cpu-prof` folder for data-postgres. */
  dataPostgresProfileDir?: string;
}

/** Creates the databases, migrates, and starts data-postgres and data-mongo. */
export async function startHttpStack(options: HttpStackOptions): Promise<HttpStack> {
  const suffix = randomBytes(6).toString('hex');
  const name = `flotilla_bench_${suffix}`;
  const url = new URL(requireEnv('POSTGRES_URL'));
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const serviceToken = randomBytes(32).toString('base64url');
  const signingKey = randomBytes(36).toString('base64url');
  const base = { ...baseServiceEnv(), NODE_ENV: 'production', LOG_LEVEL: options.logLevel };
  const started: BenchProcess[] = [];
  let vhost: TestVhost | undefined;
  const stop = async () => {
    for (const process of started.reverse()) await process.stop();
    await vhost?.remove();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    const mongo = new MongoClient(requireEnv('MONGO_URL'), { serverSelectionTimeoutMS: 5000 });
    await mongo
      .db(name)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
  };
  await admin(`CREATE DATABASE ${name}`);
  try {
    execFileSync(process.execPath, ['dist/migrate.js', 'up'], {
      cwd: join(repoRoot, 'services', 'data-postgres'),
      env: { PATH: process.env.PATH, POSTGRES_URL: databaseUrl, LOG_LEVEL: 'warn' },
      stdio: 'inherit',
    });
    const tokens = `api:${serviceToken}`;
    const dataPostgres = await startBuiltService(
      'data-postgres',
      { ...base, ...options.dataPostgresEnv, POSTGRES_URL: databaseUrl, SERVICE_TOKENS: tokens },
      {
        logDir: options.logDir,
        ...(options.dataPostgresProfileDir ? { cpuProfileDir: options.dataPostgresProfileDir } : {}),
      },
    );
    started.push(dataPostgres);
    const dataMongo = await startBuiltService(
      'data-mongo',
      { ...base, MONGO_DATABASE: name, SERVICE_TOKENS: tokens },
      { logDir: options.logDir },
    );
    started.push(dataMongo);
    vhost = await createTestVhost('bench-http');
    const rabbitUrl = vhost.url;
    const accessTokens = createAccessTokens({
      signingKey,
      keyId: 'api-1',
      issuer: 'flotilla-api',
      audience: 'flotilla',
      ttlSeconds: 3600,
    });
    return {
      dataPostgres,
      dataMongo,
      databaseUrl,
      serviceToken,
      async seedUsers(count, passwordHash) {
        const ids = Array.from({ length: count }, () => crypto.randomUUID());
        const tag = randomBytes(4).toString('hex');
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        try {
          await client.query(
            `INSERT INTO users (id, email, username, display_name, password_hash)
             SELECT id, 'bench-${tag}-' || n || '@example.com', 'bench_${tag}_' || n, 'Bench ' || n, $2
             FROM unnest($1::uuid[]) WITH ORDINALITY AS seeded(id, n)`,
            [ids, passwordHash ?? `$argon2id$v=19$m=19456,t=2,p=1$${'s'.repeat(22)}$${'h'.repeat(43)}`],
          );
        } finally {
          await client.end();
        }
        return Promise.all(
          ids.map(async (id, index) => ({
            id,
            email: `bench-${tag}-${index + 1}@example.com`,
            accessToken: await accessTokens.issue({ id, role: 'user' }),
          })),
        );
      },
      async startApi(apiName, env = {}, cpuProfileDir) {
        const api = await startBuiltService(
          'api',
          {
            ...base,
            DATA_POSTGRES_URL: dataPostgres.url(''),
            DATA_MONGO_URL: dataMongo.url(''),
            DATA_SERVICE_TOKEN: serviceToken,
            REDIS_URL: isolatedRedisUrl(15),
            RABBITMQ_URL: rabbitUrl,
            JWT_SIGNING_KEY: signingKey,
            JWT_KEY_ID: 'api-1',
            ACCESS_TOKEN_TTL_SECONDS: '3600',
            ...env,
          },
          { logDir: options.logDir, name: apiName, ...(cpuProfileDir ? { cpuProfileDir } : {}) },
        );
        started.push(api);
        return api;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
