/**
 * The whole test suite, as `npm test` runs it:
 *   1. brings the local infrastructure up (idempotent; skipped with --no-infra),
 *   2. static checks: typecheck (tsc -b), lint (Biome), dependency rules (dependency-cruiser),
 *   3. Vitest projects in order: unit, component, e2e, system (the whole system under load and outages),
 *   4. coverage: the unit and component projects measure coverage on the first Node line; their
 *      merged result is held to the thresholds of vitest.config.ts (report in .cache/coverage),
 *   5. with --other-line, the unit and component projects again on the other supported Node LTS
 *      line (22 when this one is 24, else 24), installed from the npm registry; the slow
 *      whole-system projects (e2e, system) run once, on the first line.
 * Each static check counts as one test, and so does the coverage check (failed when any threshold is
 * missed). The last line is `N passed, N failed`.
 * On a Node older than 22 the whole run moves to Node 24 from the npm registry (it says so first).
 *
 * Options: --no-infra, --no-static, --no-coverage, --other-line, --project <unit|component|e2e|system>
 * (repeatable).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { readInfraEnv } from './infra/env-file.js';
import { ensureNode, environmentFor, otherNodeLine, reRunOnSupportedNode } from './lib/node-lines.js';

const repoRoot = join(import.meta.dirname, '..');
await reRunOnSupportedNode(repoRoot, 'npm test');
const { values } = parseArgs({
  options: {
    'no-infra': { type: 'boolean', default: false },
    'no-static': { type: 'boolean', default: false },
    'other-line': { type: 'boolean', default: false },
    'no-coverage': { type: 'boolean', default: false },
    project: { type: 'string', multiple: true },
  },
});

/** Projects repeated on the second Node line: the whole-system (e2e) suites are slow and run once. */
const SECOND_LINE_PROJECTS = ['unit', 'component'];
/** Projects whose coverage is measured (the others run whole processes, out of the test's reach). */
const COVERAGE_PROJECTS = ['unit', 'component'];
const coverageBlobs = join(repoRoot, '.cache', 'coverage-blobs');

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
}

const tally: Tally = { passed: 0, failed: 0, skipped: 0, failures: [] };

function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(127));
  });
}

async function staticCheck(name: string, command: string, args: string[]): Promise<void> {
  console.log(`\n── ${name}: ${command} ${args.join(' ')}`);
  const code = await runCommand(command, args);
  if (code === 0) {
    tally.passed += 1;
    console.log(`✔ ${name}`);
  } else {
    tally.failed += 1;
    tally.failures.push(`${name} (exit ${code})`);
    console.log(`✘ ${name} failed (exit ${code})`);
  }
}

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
  testResults: Array<{
    name: string;
    status: string;
    message?: string;
    assertionResults: Array<{ fullName: string; status: string; failureMessages?: string[] }>;
  }>;
}

/** The first lines of a failure message, indented under the test's name (the log may be all that is kept). */
function firstLines(message: string | undefined): string {
  if (!message) return '';
  const lines = message
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s+at /.test(line))
    .slice(0, 6)
    .map((line) => `\n      ${line.slice(0, 300)}`);
  return lines.join('');
}

async function vitestProject(
  project: string,
  nodeBinary: string,
  label: string,
  coverage = false,
): Promise<void> {
  const reportFile = join(repoRoot, '.cache', `vitest-${project}-${label}.json`);
  await rm(reportFile, { force: true });
  console.log(`\n── vitest ${project} on ${label}${coverage ? ', with coverage' : ''}`);
  // With coverage, the run's results and coverage go to a blob that the coverage check merges.
  const coverageArgs = coverage
    ? ['--coverage.enabled', '--reporter=blob', `--outputFile.blob=${join(coverageBlobs, `${project}.json`)}`]
    : [];
  const code = await runCommand(
    nodeBinary,
    [
      join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--project',
      project,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${reportFile}`,
      ...coverageArgs,
    ],
    // A single project's coverage is a part of the whole: the thresholds are checked after the merge.
    coverage ? { ...environmentFor(nodeBinary), COVERAGE_PART: '1' } : environmentFor(nodeBinary),
  );
  if (!existsSync(reportFile)) {
    tally.failed += 1;
    tally.failures.push(`vitest ${project} on ${label}: no report (exit ${code})`);
    return;
  }
  const report = JSON.parse(await readFile(reportFile, 'utf8')) as VitestReport;
  tally.passed += report.numPassedTests;
  tally.failed += report.numFailedTests;
  tally.skipped += report.numPendingTests + report.numTodoTests;
  for (const file of report.testResults) {
    for (const test of file.assertionResults) {
      if (test.status === 'failed')
        tally.failures.push(`[${label}] ${test.fullName}${firstLines(test.failureMessages?.[0])}`);
    }
    // A file that failed to load has no test results but must not pass silently.
    if (file.status === 'failed' && file.assertionResults.length === 0) {
      tally.failed += 1;
      tally.failures.push(`[${label}] ${file.name}: ${file.message?.split('\n')[0] ?? 'failed to run'}`);
    }
  }
  if (code !== 0 && report.numFailedTests === 0 && report.numFailedTestSuites === 0) {
    tally.failed += 1;
    tally.failures.push(`vitest ${project} on ${label} exited ${code}`);
  }
}

/**
 * Merges the coverage of the projects run with it and holds it to the thresholds: one test, failed
 * (with each missed threshold named) when any is missed or the merge produced no report.
 */
async function coverageCheck(): Promise<void> {
  console.log('\n── coverage thresholds (unit + component, merged)');
  const summaryFile = join(repoRoot, '.cache', 'coverage', 'coverage-summary.json');
  await rm(summaryFile, { force: true });
  const misses: string[] = [];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'),
        `--merge-reports=${coverageBlobs}`,
        '--coverage.enabled',
        // The tests were reported when they ran: the merge only reports coverage.
        '--reporter=json',
        `--outputFile.json=${join(repoRoot, '.cache', 'vitest-merged.json')}`,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        console.log(line);
        if (/^ERROR: (Coverage for|Uncovered) /.test(line)) misses.push(line.slice('ERROR: '.length));
      });
    }
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(127));
  });
  if (misses.length === 0 && existsSync(summaryFile)) {
    tally.passed += 1;
    console.log('✔ coverage thresholds');
    return;
  }
  tally.failed += 1;
  const why = misses.length > 0 ? misses.join('\n      ') : `no coverage report (exit ${code})`;
  tally.failures.push(`coverage thresholds\n      ${why}`);
  console.log(`✘ coverage thresholds: ${misses.length} missed`);
}

async function main(): Promise<void> {
  await mkdir(join(repoRoot, '.cache'), { recursive: true });
  if (!values['no-infra']) {
    console.log('── infrastructure: npm run infra -- up');
    const code = await runCommand(process.execPath, [
      join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      'scripts/infra.ts',
      'up',
    ]);
    if (code !== 0) {
      console.log('✘ infrastructure could not be brought up; component and e2e tests will fail (see above).');
    }
  }
  // Component and e2e tests find the local servers through the URLs the infrastructure script wrote.
  for (const [key, value] of Object.entries(await readInfraEnv(repoRoot))) process.env[key] ??= value;

  if (!values['no-static']) {
    await staticCheck('typecheck', 'npx', ['tsc', '-b']);
    await staticCheck('lint', 'npx', ['biome', 'check', '.']);
    await staticCheck('dependency rules', 'npx', [
      'depcruise',
      '--config',
      '.dependency-cruiser.cjs',
      'packages',
      'services',
      'scripts',
      'tests',
      'bench',
    ]);
  }

  const projects = values.project ?? ['unit', 'component', 'e2e', 'system'];
  // The thresholds are set for the unit and component projects together: measured only when both run.
  const covered =
    !values['no-coverage'] && COVERAGE_PROJECTS.every((name) => projects.includes(name))
      ? COVERAGE_PROJECTS
      : [];
  // Only a run that measures coverage clears the parts (a nested run, as a test may start, must not).
  if (covered.length > 0) await rm(coverageBlobs, { recursive: true, force: true });
  for (const project of projects)
    await vitestProject(
      project,
      process.execPath,
      `node ${process.versions.node}`,
      covered.includes(project),
    );
  if (covered.length > 0) await coverageCheck();

  if (values['other-line']) {
    const binary = await ensureNode(repoRoot, otherNodeLine());
    const version = execFileSync(binary, ['--version']).toString().trim();
    for (const project of projects.filter((name) => SECOND_LINE_PROJECTS.includes(name)))
      await vitestProject(project, binary, `node ${version.replace(/^v/, '')}`);
  }

  console.log('\n── summary');
  if (tally.failures.length > 0) {
    console.log('Failed:');
    for (const failure of tally.failures) console.log(`  ✘ ${failure}`);
  }
  const skipped = tally.skipped > 0 ? `, ${tally.skipped} skipped` : '';
  console.log(`${tally.passed} passed, ${tally.failed} failed${skipped}`);
  process.exitCode = tally.failed > 0 || tally.passed === 0 ? 1 : 0;
}

await main();
