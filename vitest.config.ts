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
 * Coverage thresholds (%) of the critical modules, set a few points under what the unit and component
 * projects reach together (measured 2026-12-04; the margin covers timing-dependent branches and the
 * other Node line); `npm test` fails one test when any is missed.
 */
const CRITICAL_THRESHOLDS = {
  // messaging: publisher confirms, consumer, dead letters, topology
  'packages/platform/src/messaging/**': { statements: 83, branches: 70, functions: 78, lines: 88 },
  // idempotency of consumers (processed-message markers)
  'packages/platform/src/redis/idempotency-markers.ts': {
    statements: 95,
    branches: 93,
    functions: 95,
    lines: 95,
  },
  // idempotency of HTTP requests (Idempotency-Key)
  'services/api/src/http/idempotency.ts': { statements: 87, branches: 64, functions: 95, lines: 90 },
  // identity and tokens: register, login, refresh, JWTs, the login limiter
  'services/api/src/modules/identity/**': { statements: 80, branches: 56, functions: 88, lines: 83 },
  // Telegram link codes and linking
  'packages/identity/src/**': { statements: 77, branches: 47, functions: 82, lines: 74 },
  // uploads: photo and document intake, file sniffing, safe names
  'packages/intake/src/**': { statements: 85, branches: 76, functions: 79, lines: 88 },
  // the api's multipart edge
  'services/api/src/http/multipart-upload.ts': { statements: 91, branches: 76, functions: 95, lines: 95 },
  // the api's upload gate (503 UPLOAD.BUSY)
  'services/api/src/http/upload-gate.ts': { statements: 95, branches: 93, functions: 95, lines: 95 },
  // data-postgres repositories
  'services/data-postgres/src/modules/**/*.repository.ts': {
    statements: 95,
    branches: 91,
    functions: 95,
    lines: 95,
  },
  // data-mongo repositories
  'services/data-mongo/src/modules/**/*.repository.ts': {
    statements: 88,
    branches: 79,
    functions: 95,
    lines: 95,
  },
  // data-mongo blob store (GridFS)
  'services/data-mongo/src/modules/**/*.store.ts': { statements: 61, branches: 45, functions: 83, lines: 64 },
};

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

/**
 * Coverage (`npm test` turns it on for the unit and component projects on the first Node line and
 * checks the thresholds on their merged result): every source file of the packages and services is
 * measured; the thresholds hold the critical modules near what they reach (see README, "Coverage").
 */
const coverage = {
  provider: 'v8' as const,
  include: ['packages/*/src/**/*.ts', 'services/*/src/**/*.ts'],
  exclude: ['**/*.d.ts', 'services/*/src/main.ts'],
  reporter: [['text-summary'], ['json-summary']] as Array<[string]>,
  reportsDirectory: '.cache/coverage',
  // `npm test` measures each project on its own (COVERAGE_PART=1: no thresholds), then merges them and
  // checks the thresholds once, on the whole.
  ...(process.env.COVERAGE_PART === '1' ? {} : { thresholds: CRITICAL_THRESHOLDS }),
};

export default defineConfig({
  test: {
    coverage,
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
