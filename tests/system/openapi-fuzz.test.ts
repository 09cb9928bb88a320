import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSchemathesis } from '../../scripts/infra/install/schemathesis.js';
import { repoRoot } from '../e2e/helpers/service-process.js';
import { type FuzzSystem, startFuzzSystem } from '../support/fuzz-system.js';
import { infraToolContext } from '../support/infra-tools.js';
import { type FuzzOutcome, type FuzzTarget, runSchemathesis } from '../support/schemathesis-run.js';

/**
 * Each service's OpenAPI document fuzzed by Schemathesis against the running service (real PostgreSQL,
 * MongoDB-wire server, Redis and RabbitMQ): generated requests for every operation, valid and invalid,
 * with checks that no answer is a 5xx, that statuses, content types, headers and bodies are the ones the
 * document declares, that schema-valid requests are taken and schema-violating ones refused.
 *
 * CI runs a short pass (a few cases per operation, bounded); `npm run test:fuzz` sets FUZZ_LONG=1 for
 * the long one (at least 5,000 cases per service, the four documents at once), and both write their
 * counts to `.cache/fuzz-report.json`.
 */
const LONG = process.env.FUZZ_LONG === '1';
/**
 * The short pass in `npm test` uses a fixed seed, so CI runs generate nearly the same cases (counts vary
 * a little with the services' answers): a finding there follows a change, not luck. The long run explores
 * with a new seed each time (printed in its report). `FUZZ_SEED` replays a given seed in either.
 */
const SEED = process.env.FUZZ_SEED || (LONG ? undefined : '20261204');
const BUDGET = {
  ...(LONG
    ? { maxExamples: 250, phases: ['examples', 'fuzzing'], timeoutMs: 2_400_000 }
    : { maxExamples: 3, phases: ['examples', 'fuzzing'], timeoutMs: 120_000 }),
  ...(SEED !== undefined && { seed: SEED }),
};

let system: FuzzSystem;
let program: string;
const outcomes: FuzzOutcome[] = [];

beforeAll(async () => {
  program = await ensureSchemathesis(infraToolContext());
  system = await startFuzzSystem('openapi-fuzz');
}, 600_000);

afterAll(async () => {
  await system?.stop();
  await mkdir(join(repoRoot, '.cache'), { recursive: true });
  const report = outcomes.map(({ report: _report, ...counts }) => counts);
  await writeFile(join(repoRoot, '.cache', 'fuzz-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    outcomes
      .map(
        (o) =>
          `${o.target}: ${o.generated} cases, ${o.failures} failures, ${o.errors} errors, ${o.seconds} s`,
      )
      .join('\n'),
  );
});

/** Each case's own limit: the run's bound plus time to read its report. */
const CASE_TIMEOUT_MS = BUDGET.timeoutMs + 60_000;

/**
 * data-mongo has about half as many operations as the others, so the long run gives each of them more
 * cases to reach the same 5,000 per service.
 */
async function fuzz(target: () => FuzzTarget, examplesFactor = 1): Promise<FuzzOutcome> {
  const budget = { ...BUDGET, maxExamples: LONG ? BUDGET.maxExamples * examplesFactor : BUDGET.maxExamples };
  const outcome = await runSchemathesis(program, target(), budget);
  outcomes.push(outcome);
  expect(outcome.generated, outcome.report).toBeGreaterThan(0);
  expect(outcome.failures, outcome.report).toBe(0);
  expect(outcome.errors, outcome.report).toBe(0);
  expect(outcome.exitCode, outcome.report).toBe(0);
  if (LONG) expect(outcome.generated).toBeGreaterThanOrEqual(5_000);
  return outcome;
}

// The long run fuzzes the four documents at once (each service is its own process).
const suite = LONG ? describe.concurrent : describe;

suite('the OpenAPI documents, fuzzed against the running services', () => {
  it(
    'the api answers a signed-in user as its document declares, never with a 5xx',
    async () => {
      await fuzz(() => ({ name: 'api (user)', baseUrl: system.apiUrl, token: system.user.accessToken }));
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'the api answers an admin as its document declares, never with a 5xx',
    async () => {
      await fuzz(() => ({ name: 'api (admin)', baseUrl: system.apiUrl, token: system.admin.accessToken }));
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'data-postgres answers a calling service as its document declares, never with a 5xx',
    async () => {
      await fuzz(() => ({
        name: 'data-postgres',
        baseUrl: system.services.dataPostgresUrl,
        token: system.services.tokens.api,
      }));
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'data-mongo answers a calling service as its document declares, never with a 5xx',
    async () => {
      await fuzz(
        () => ({
          name: 'data-mongo',
          baseUrl: system.services.dataMongoUrl,
          token: system.services.tokens.api,
        }),
        3,
      );
    },
    CASE_TIMEOUT_MS,
  );
});
