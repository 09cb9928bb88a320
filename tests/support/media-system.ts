import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDataPostgresClient, type DataPostgresClient, type MediaJob } from '@flotilla/contracts';
import type { EventEnvelope } from '@flotilla/platform';
import { connect } from 'amqplib';
import { type Db, GridFSBucket, MongoClient } from 'mongodb';
import sharp from 'sharp';
import { createTestVhost, type TestVhost } from '../../packages/platform/test/component/messaging-broker.js';
import {
  baseServiceEnv,
  freePort,
  type ServiceProcess,
  startService,
  stopServiceProcess,
  waitUntilReady,
} from '../e2e/helpers/service-process.js';
import { type DataServices, isolatedRedisUrl, startDataServices } from './data-services.js';
import { type FerretdbInstance, startFerretdbInstance } from './ferretdb-instance.js';

/** A user of the system under load. */
export interface LoadUser {
  id: string;
  token: string;
  email: string;
  password: string;
}

/**
 * The photo path as separate processes: a MongoDB-wire store of its own (which the caller may stop),
 * data-postgres, data-mongo, the api and the worker, on a RabbitMQ vhost and Redis database of their
 * own. For the media load test and the `media-load` benchmark.
 */
export interface MediaSystem {
  /** `http://127.0.0.1:<port>` of the api. */
  apiUrl: string;
  store: FerretdbInstance;
  services: DataServices;
  api: ServiceProcess;
  /** The running worker (replaced by {@link MediaSystem.restartWorker}). */
  readonly worker: ServiceProcess;
  /** The RabbitMQ vhost of this system (to observe its events). */
  rabbitmqUrl: string;
  /** data-mongo's database on the system's own store (its blobs are in `blobs.files` / `blobs.chunks`). */
  mongoDatabase(): Db;
  /**
   * Kills the running worker with `signal` (SIGKILL: no shutdown at all), waits for it to exit, then
   * starts a new one with the same environment and waits until it is ready.
   */
  restartWorker(signal?: NodeJS.Signals): Promise<ServiceProcess>;
  dataPostgres: DataPostgresClient;
  /**
   * Stops the api or the worker (SIGTERM, its clean shutdown; or `signal`, e.g. SIGKILL: no shutdown at
   * all), waits for its exit, starts it again on the same port with the same environment and waits until
   * it is ready; `api` / `worker` then name the new process. `exitCode` is null for a killed process.
   */
  restart(name: 'api' | 'worker', signal?: NodeJS.Signals): Promise<{ exitCode: number | null }>;
  /** Registers a user through the api and logs it in. */
  registerUser(): Promise<LoadUser>;
  /**
   * Stores about `bytes` of files in data-mongo's GridFS bucket straight through the driver (as if
   * earlier users had uploaded them), so the store holds that much before a measurement.
   */
  prefill(bytes: number): Promise<number>;
  /** Every job of these owners. */
  jobsOf(ownerIds: readonly string[]): Promise<MediaJob[]>;
  /** Files in data-mongo owned by these owners, and chunks that belong to no file at all. */
  blobsOf(ownerIds: readonly string[]): Promise<{ files: number; orphanChunks: number }>;
  stop(): Promise<void>;
}

/** Options of {@link startMediaSystem}. */
export interface MediaSystemOptions {
  label: string;
  /** A RabbitMQ of the test's own (one it may stop) instead of a vhost of the shared broker. */
  rabbitmqUrl?: string;
  apiEnv?: Record<string, string>;
  workerEnv?: Record<string, string>;
  /** Redis of the api and the worker (default: a database of the shared one, {@link isolatedRedisUrl}). */
  redisUrl?: string;
  /** PostgreSQL server of data-postgres (default: the shared one). */
  postgresUrl?: string;
}

/** Phone-size photos: `count` JPEGs of 2400x1800 noise, about 3 MB each (noise does not compress). */
export async function phonePhotos(count: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      sharp({
        create: {
          width: 2400,
          height: 1800,
          channels: 3,
          background: '#808080',
          noise: { type: 'gaussian', mean: 128, sigma: 60 },
        },
      })
        .jpeg({ quality: 88 })
        .toBuffer(),
    ),
  );
}

/** Starts the media system; call `stop()` when done. */
export async function startMediaSystem(options: MediaSystemOptions): Promise<MediaSystem> {
  const store = await startFerretdbInstance();
  let services: DataServices | undefined;
  let vhost: TestVhost | undefined;
  let api: ServiceProcess | undefined;
  let worker: ServiceProcess | undefined;
  let workerEnv: NodeJS.ProcessEnv = {};
  const mongo = new MongoClient(store.url, { serverSelectionTimeoutMS: 5000 });
  const stop = async () => {
    await stopServiceProcess(api);
    await stopServiceProcess(worker);
    if (services) await services.stop().catch(() => undefined);
    await vhost?.remove().catch(() => undefined);
    await mongo.close().catch(() => undefined);
    await store.close();
  };
  try {
    vhost = await createTestVhost(options.label);
    services = await startDataServices({
      mongoUrl: store.url,
      ...(options.postgresUrl && { postgresUrl: options.postgresUrl }),
      env: { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn' },
      // Starting from source and migrating under the load these tests make takes a while on 2 cores.
      readyTimeoutMs: 90_000,
      rabbitmqUrl: options.rabbitmqUrl ?? vhost.url,
    });
    const common = {
      ...baseServiceEnv(),
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      DATA_POSTGRES_URL: services.dataPostgresUrl,
      DATA_MONGO_URL: services.dataMongoUrl,
      REDIS_URL: options.redisUrl ?? isolatedRedisUrl(),
      RABBITMQ_URL: options.rabbitmqUrl ?? vhost.url,
    };
    const [apiPort, workerPort] = await Promise.all([freePort(), freePort()]);
    api = startService('api', apiPort, {
      ...common,
      DATA_SERVICE_TOKEN: services.tokens.api,
      JWT_SIGNING_KEY: randomBytes(36).toString('base64url'),
      LOGIN_MAX_PER_IP: '100000',
      LOGIN_MAX_PER_ACCOUNT: '10000',
      ...options.apiEnv,
    });
    workerEnv = {
      ...common,
      DATA_SERVICE_TOKEN: services.tokens.worker,
      SCHEDULE_LOCK_NAMESPACE: `load-${randomBytes(4).toString('hex')}`,
      ...options.workerEnv,
    };
    worker = startService('worker', workerPort, workerEnv);
    await Promise.all([waitUntilReady(api), waitUntilReady(worker)]);
  } catch (error) {
    await stop();
    throw error;
  }
  const dataServices = services;
  const rabbitmqUrl = (vhost as TestVhost).url;
  const apiUrl = `http://127.0.0.1:${api.port}`;
  const dataPostgres = createDataPostgresClient({
    baseUrl: dataServices.dataPostgresUrl,
    callerName: 'api',
    serviceToken: dataServices.tokens.api,
  });
  const db = mongo.db(dataServices.mongoDatabase);

  let running = { api, worker };
  return {
    apiUrl,
    store,
    services: dataServices,
    get api() {
      return running.api;
    },
    get worker() {
      return running.worker;
    },
    rabbitmqUrl,
    mongoDatabase: () => db,
    async restartWorker(signal = 'SIGKILL') {
      const old = running.worker;
      if (old.child.exitCode === null && old.child.signalCode === null) {
        old.child.kill(signal);
        await old.exited;
      }
      const next = startService('worker', await freePort(), workerEnv);
      running = { ...running, worker: next };
      worker = next; // stopped by `stop()`
      await waitUntilReady(next);
      return next;
    },
    dataPostgres,
    async restart(name, signal = 'SIGTERM') {
      const old = running[name];
      if (signal === 'SIGTERM') await stopServiceProcess(old);
      else if (old.child.exitCode === null && old.child.signalCode === null) old.child.kill(signal);
      const exitCode = await old.exited;
      const fresh = startService(old.name, old.port, old.env);
      running = { ...running, [name]: fresh };
      if (name === 'api') api = fresh;
      else worker = fresh;
      await waitUntilReady(fresh);
      return { exitCode };
    },
    async registerUser() {
      const suffix = randomBytes(6).toString('hex');
      const credentials = { email: `load-${suffix}@example.test`, password: `load-password-${suffix}` };
      const json = { 'content-type': 'application/json' };
      const registered = await fetch(`${apiUrl}/api/v1/auth/register`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ ...credentials, username: `load_${suffix}` }),
      });
      if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
      const { id } = (await registered.json()) as { id: string };
      const login = await fetch(`${apiUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(credentials),
      });
      const body = (await login.json()) as { access_token: string };
      return { id, token: body.access_token, ...credentials };
    },
    async prefill(bytes) {
      const bucket = new GridFSBucket(db, { bucketName: 'blobs' });
      const file = randomBytes(3 * 1024 * 1024);
      const owner = `00000000-0000-7000-8000-${randomBytes(6).toString('hex')}`;
      let stored = 0;
      const next = async (): Promise<void> => {
        while (stored < bytes) {
          stored += file.length;
          const id = `prefill-${randomBytes(8).toString('hex')}`;
          await pipeline(
            Readable.from([file]),
            bucket.openUploadStreamWithId(id as never, 'earlier.jpg', {
              metadata: { owner_id: owner, content_type: 'image/jpeg', sha256: '' },
            }),
          );
        }
      };
      await Promise.all([next(), next(), next()]);
      return stored;
    },
    async jobsOf(ownerIds) {
      const jobs: MediaJob[] = [];
      for (const owner of ownerIds) {
        let cursor: string | undefined;
        do {
          const page = await dataPostgres.mediaJobs.list({
            owner_id: owner,
            limit: 200,
            ...(cursor && { cursor }),
          });
          jobs.push(...page.items);
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
      }
      return jobs;
    },
    async blobsOf(ownerIds) {
      const files = await db
        .collection('blobs.files')
        .countDocuments({ 'metadata.owner_id': { $in: [...ownerIds] } });
      const ids = new Set(
        (
          await db
            .collection('blobs.files')
            .find({}, { projection: { _id: 1 } })
            .toArray()
        ).map((f) => String(f._id)),
      );
      const chunkFiles = await db.collection('blobs.chunks').distinct('files_id');
      return { files, orphanChunks: chunkFiles.filter((id) => !ids.has(String(id))).length };
    },
    stop,
  };
}

/** Small photos (the count is what matters here): a few distinct JPEGs of noise. */
export async function smallPhotos(count: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      sharp({
        create: {
          width: 320 + index * 16,
          height: 240,
          channels: 3,
          background: '#808080',
          noise: { type: 'gaussian', mean: 128, sigma: 50 },
        },
      })
        .jpeg({ quality: 80 })
        .toBuffer(),
    ),
  );
}

/** Polls `check` every 250 ms until it holds, or fails naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every event of the patterns bound, in the order it arrived; `close()` ends the observation. */
export interface EventObserver {
  events: EventEnvelope[];
  close(): Promise<void>;
}

/**
 * A queue of the test's own (exclusive, gone with its connection) bound to the events exchange for
 * `patterns`, recording every event it receives.
 */
export async function observeEvents(
  rabbitmqUrl: string,
  patterns: readonly string[],
): Promise<EventObserver> {
  const connection = await connect(rabbitmqUrl);
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  for (const pattern of patterns) await channel.bindQueue(queue, 'events', pattern);
  const events: EventEnvelope[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (message) events.push(JSON.parse(message.content.toString('utf8')) as EventEnvelope);
    },
    { noAck: true },
  );
  return { events, close: () => connection.close().catch(() => undefined) };
}
