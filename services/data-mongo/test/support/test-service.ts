import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { HttpApp } from '@flotilla/platform';
import { buildApp } from '../../src/app.js';
import { loadDataMongoConfig } from '../../src/config.js';
import { createDeps, type DataMongoDeps } from '../../src/deps.js';

/** A data-mongo app on its own database of the local MongoDB-wire server, with a known service token. */
export interface TestService {
  deps: DataMongoDeps;
  app: HttpApp;
  /** The database this service owns (dropped by `close`). */
  database: string;
  /** The token of the `api` caller. */
  token: string;
  /** `authorization` header for the `api` caller. */
  auth: { authorization: string };
  /** Listens on 127.0.0.1 on a free port and returns the base URL. */
  listen(): Promise<string>;
  /** Closes the app, drops the database, then runs the service's closers. */
  close(): Promise<void>;
}

/** A unique database name for one test file: `<prefix>_<random>`. */
export function testDatabaseName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Starts data-mongo's app (not listening) on the database `database`, with extra environment variables. */
export async function startTestService(
  database: string,
  env: Record<string, string> = {},
): Promise<TestService> {
  const mongoUrl = process.env.MONGO_URL;
  if (!mongoUrl)
    throw new Error('MONGO_URL is not set: run `npm run infra -- up` (it writes .data/infra.env)');
  const token = randomBytes(24).toString('base64url');
  const config = loadDataMongoConfig({
    MONGO_URL: mongoUrl,
    MONGO_DATABASE: database,
    SERVICE_TOKENS: `api:${token},worker:${randomBytes(24).toString('base64url')}`,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    ...env,
  });
  const deps = await createDeps(config, { logDestination: quietLog() });
  const app = await buildApp(deps);
  let closed = false;
  return {
    deps,
    app,
    database,
    token,
    auth: { authorization: `Bearer ${token}` },
    async listen() {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      return `http://127.0.0.1:${port}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await deps.mongo.db.dropDatabase();
      for (const closer of deps.closers) await closer.close();
    },
  };
}

/** Log lines are kept off the test output; warnings and errors still go to stderr. */
function quietLog(): NodeJS.WritableStream {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const line = chunk.toString('utf8');
      if (/"level":"(warn|error|fatal)"/.test(line)) process.stderr.write(line);
      callback();
    },
  });
}
