import { randomBytes } from 'node:crypto';
import type { HttpApp } from '@flotilla/platform';
import { buildApp } from '../../src/app.js';
import { loadDataPostgresConfig } from '../../src/config.js';
import { createDeps, type DataPostgresDeps } from '../../src/deps.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/** data-postgres built on a fresh, migrated database of its own, driven through `inject()`. */
export interface TestService {
  app: HttpApp;
  deps: DataPostgresDeps;
  database: TestDatabase;
  /** The `api` caller's token. */
  token: string;
  /** `{ authorization: 'Bearer <token>' }` for `inject()`. */
  auth: { authorization: string };
  /** Closes the app and the pool, then drops the database. */
  close(): Promise<void>;
}

/** Builds the service the way `main.ts` does, with silent logs and a random service token. */
export async function createTestService(env: Record<string, string> = {}): Promise<TestService> {
  const database = await createTestDatabase();
  const token = randomBytes(24).toString('base64url');
  const other = randomBytes(24).toString('base64url');
  const config = loadDataPostgresConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    POSTGRES_URL: database.url,
    SERVICE_TOKENS: `api:${token},worker:${other}`,
    ...env,
  });
  const deps = createDeps(config);
  const app = await buildApp(deps);
  await app.ready();
  return {
    app,
    deps,
    database,
    token,
    auth: { authorization: `Bearer ${token}` },
    async close() {
      await app.close();
      for (const closer of deps.closers) await closer.close();
      await database.drop();
    },
  };
}
