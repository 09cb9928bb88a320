import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { defineConfig } from 'vitest/config';

// Connection URLs of the local infrastructure (`npm run infra -- up` writes them), so a single test
// file can be run directly with `npx vitest run <file>`. Variables already set win.
const infraEnvFile = new URL('./.data/infra.env', import.meta.url);
const infraEnv = existsSync(infraEnvFile) ? parseEnv(readFileSync(infraEnvFile, 'utf8')) : {};
const env = Object.fromEntries(
  Object.entries(infraEnv).filter(([key]) => process.env[key] === undefined),
) as Record<string, string>;

/**
 * Four projects, run in this order by `npm test`:
 * - unit: no I/O, fast;
 * - component: one package or service against real local servers (PostgreSQL, Redis, ...);
 * - e2e: whole processes (services, launcher, infrastructure script);
 * - system: the whole system under load and outages (minutes; `npm run test:chaos`, and the first
 *   Node line of `npm test`).
 * Source files of workspace packages are resolved through the `flotilla-source` export condition,
 * so tests never need a build.
 */
const shared = {
  resolve: { conditions: ['flotilla-source'] },
  ssr: { resolve: { conditions: ['flotilla-source'] } },
};

export default defineConfig({
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          env,
          include: ['packages/*/test/unit/**/*.test.ts', 'services/*/test/unit/**/*.test.ts'],
        },
      },
      {
        ...shared,
        test: {
          name: 'component',
          env,
          include: ['packages/*/test/component/**/*.test.ts', 'services/*/test/component/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'e2e',
          env,
          include: ['tests/e2e/**/*.test.ts', 'scripts/test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        ...shared,
        test: {
          name: 'system',
          env,
          include: ['tests/system/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
