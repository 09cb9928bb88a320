import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import {
  baseServiceEnv,
  freePort,
  type ServiceProcess,
  startService,
  stopServiceProcess,
  testToken,
} from '../e2e/helpers/service-process.js';

/** data-postgres and data-mongo running as their own processes on a fresh database each. */
export interface DataServices {
  /** Base URL of data-postgres, e.g. `http://127.0.0.1:40123`. */
  dataPostgresUrl: string;
  /** Base URL of data-mongo. */
  dataMongoUrl: string;
  /** data-mongo's MongoDB database (its blobs are in `blobs.files` / `blobs.chunks` there). */
  mongoDatabase: string;
  /** One service token per calling service, accepted by both data services. */
  tokens: { api: string; bot: string; worker: string };
  /** The two processes (their parsed JSON logs are in `.logs`). */
  processes: { dataPostgres: ServiceProcess; dataMongo: ServiceProcess };
  /**
   * Stops one of the two (SIGTERM), waits for its exit code, starts it again on the same port with the
   * same environment and waits until it is ready; `processes` then holds the new process.
   */
  restart(name: 'dataPostgres' | 'dataMongo'): Promise<{ exitCode: number | null }>;
  /** Stops both services and drops both databases. */
  stop(): Promise<void>;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run \`npm run infra -- up\` first`);
  return value;
}

async function withPg<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function waitUntilReady(service: ServiceProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) {
      throw new Error(`${service.name} exited with ${service.child.exitCode}: ${service.stderr.join('\n')}`);
    }
    try {
      const response = await fetch(service.url('/health/ready'), { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  const last = service.logs.slice(-5).map((line) => JSON.stringify(line));
  throw new Error(
    `${service.name} was not ready within ${timeoutMs} ms: ${[...last, ...service.stderr.slice(-5)].join('\n')}`,
  );
}

/** Options of {@link startDataServices}. */
export interface DataServicesOptions {
  /** data-mongo's MongoDB server (default MONGO_URL, the shared local one). */
  mongoUrl?: string;
  /** A PostgreSQL server URL allowed to create databases (default POSTGRES_URL, the shared local one). */
  postgresUrl?: string;
  /** Environment of both services on top of the test defaults. */
  env?: Record<string, string>;
  /** How long to wait for both to be ready (default 90 s: a busy machine needs more than 30). */
  readyTimeoutMs?: number;
  /**
   * The RabbitMQ URL (the vhost of the business services under test) data-postgres's outbox relay
   * publishes to. Without it the relay is off: events stored with writes are not published.
   */
  rabbitmqUrl?: string;
}

/**
 * Starts data-postgres (migrated on start) and data-mongo from source, each on a free port and a
 * database of its own, for tests of the business services; data-postgres's outbox relay publishes to
 * `rabbitmqUrl` when given. Call `stop()` in `afterAll`.
 */
export async function startDataServices(options: DataServicesOptions = {}): Promise<DataServices> {
  const suffix = randomBytes(5).toString('hex');
  const pgName = `flotilla_test_${suffix}`;
  const mongoName = `flotilla_test_${suffix}`;
  const adminUrl = options.postgresUrl ?? requireEnv('POSTGRES_URL');
  await withPg(adminUrl, (client) => client.query(`CREATE DATABASE ${pgName}`));
  const postgresUrl = new URL(adminUrl);
  postgresUrl.pathname = `/${pgName}`;
  const tokens = { api: testToken(), bot: testToken(), worker: testToken() };
  const env: NodeJS.ProcessEnv = {
    ...baseServiceEnv(),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    SERVICE_TOKENS: `api:${tokens.api},bot:${tokens.bot},worker:${tokens.worker}`,
    ...(options.mongoUrl && { MONGO_URL: options.mongoUrl }),
    ...options.env,
  };
  const [pgPort, mongoPort] = await Promise.all([freePort(), freePort()]);
  // data-postgres's outbox relay publishes to the business services' vhost, or (without one) not at all.
  const { RABBITMQ_URL: _shared, ...withoutBroker } = env;
  const pgEnv = {
    ...withoutBroker,
    POSTGRES_URL: postgresUrl.toString(),
    MIGRATE_ON_START: 'true',
    ...(options.rabbitmqUrl && { RABBITMQ_URL: options.rabbitmqUrl }),
  };
  const mongoEnv = { ...env, MONGO_DATABASE: mongoName };
  const processes = {
    dataPostgres: startService('data-postgres', pgPort, pgEnv),
    dataMongo: startService('data-mongo', mongoPort, mongoEnv),
  };

  const stop = async () => {
    await Promise.all([
      stopServiceProcess(processes.dataPostgres, 10_000),
      stopServiceProcess(processes.dataMongo, 10_000),
    ]);
    await withPg(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`)).catch(
      () => undefined,
    );
    const mongo = new MongoClient(options.mongoUrl ?? requireEnv('MONGO_URL'), {
      serverSelectionTimeoutMS: 5000,
    });
    try {
      await mongo.db(mongoName).dropDatabase();
    } catch {
      // best effort: the database is uniquely named
    } finally {
      await mongo.close();
    }
  };
  try {
    await Promise.all([
      waitUntilReady(processes.dataPostgres, options.readyTimeoutMs),
      waitUntilReady(processes.dataMongo, options.readyTimeoutMs),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dataPostgresUrl: `http://127.0.0.1:${pgPort}`,
    dataMongoUrl: `http://127.0.0.1:${mongoPort}`,
    mongoDatabase: mongoName,
    tokens,
    processes,
    async restart(name) {
      const old = processes[name];
      await stopServiceProcess(old, 10_000);
      const exitCode = await old.exited;
      processes[name] = startService(old.name, old.port, name === 'dataPostgres' ? pgEnv : mongoEnv);
      await waitUntilReady(processes[name], options.readyTimeoutMs);
      return { exitCode };
    },
    stop,
  };
}

/**
 * The infrastructure's Redis URL on a logical database other than 0 (which the running system uses), so
 * counters a test or benchmark leaves behind (login rate limits per IP, caches) never reach the system
 * started by `npm start`. `db` 1-15; by default a random one from 1 to 14 (15 is for benchmarks).
 */
export function isolatedRedisUrl(db = 1 + Math.floor(Math.random() * 14)): string {
  const url = new URL(requireEnv('REDIS_URL'));
  url.pathname = `/${db}`;
  return url.toString();
}
