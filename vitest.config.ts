import { defineConfig } from 'vitest/config';

/**
 * Three projects, run in this order by `npm test`:
 * - unit: no I/O, fast;
 * - component: one package or service against real local servers (PostgreSQL, Redis, ...);
 * - e2e: whole processes (services, launcher, infrastructure script).
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
          include: ['packages/*/test/unit/**/*.test.ts', 'services/*/test/unit/**/*.test.ts'],
        },
      },
      {
        ...shared,
        test: {
          name: 'component',
          include: ['packages/*/test/component/**/*.test.ts', 'services/*/test/component/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts', 'scripts/test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
