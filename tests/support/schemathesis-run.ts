import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** One OpenAPI document to fuzz: the service's base URL (its document is at `/docs/json`) and a bearer token. */
export interface FuzzTarget {
  /** A label for the report, e.g. `api (user)`. */
  name: string;
  baseUrl: string;
  token: string;
}

/** Bounds of a fuzz run. */
export interface FuzzBudget {
  /** Generated cases per operation and phase (Schemathesis' `--max-examples`). */
  maxExamples: number;
  /** Phases to run (default: examples, coverage, fuzzing, stateful). */
  phases?: readonly string[];
  /**
   * A fixed seed makes a run repeatable (a random one otherwise). Kept as text: the seeds Schemathesis
   * prints are often too long for a JavaScript number.
   */
  seed?: string;
  /** Hard stop for the process, in ms (the run fails if it is reached). */
  timeoutMs: number;
}

/** What a fuzz run found. */
export interface FuzzOutcome {
  target: string;
  /** Requests generated and sent (Schemathesis' "N generated"). */
  generated: number;
  /** Unique failures (a check that did not hold); 0 when all held. */
  failures: number;
  /** Errors of the run itself (a schema it could not use, a connection refused). */
  errors: number;
  exitCode: number | null;
  seconds: number;
  /** The report's summary and failure sections (the whole output is long). */
  report: string;
}

/** The project's Schemathesis settings: which checks run and what each operation may answer. */
export const SCHEMATHESIS_CONFIG = join(import.meta.dirname, 'schemathesis.toml');

function count(output: string, pattern: RegExp): number {
  const match = pattern.exec(output);
  return match?.[1] ? Number(match[1]) : 0;
}

/**
 * The part of Schemathesis' output worth keeping in a test failure: from the first failure or error
 * (a case Schemathesis could not run, such as a connection error or data it could not generate) to the end.
 */
function reportOf(output: string): string {
  const starts = ['=== FAILURES ===', '=== ERRORS ===', '=== SUMMARY ===']
    .map((heading) => output.indexOf(heading))
    .filter((index) => index >= 0);
  const from = starts.length > 0 ? output.lastIndexOf('\n', Math.min(...starts)) : -1;
  return (from >= 0 ? output.slice(from) : output).slice(-20_000);
}

/**
 * Runs Schemathesis (`program`, see `scripts/infra/install/schemathesis.ts`) against one service's
 * OpenAPI document with the project's checks ({@link SCHEMATHESIS_CONFIG}), and reads its summary.
 */
export function runSchemathesis(
  program: string,
  target: FuzzTarget,
  budget: FuzzBudget,
): Promise<FuzzOutcome> {
  const args = [
    '--config-file',
    SCHEMATHESIS_CONFIG,
    'run',
    `${target.baseUrl}/docs/json`,
    '--header',
    `Authorization: Bearer ${target.token}`,
    '--max-examples',
    String(budget.maxExamples),
    '--phases',
    (budget.phases ?? ['examples', 'coverage', 'fuzzing', 'stateful']).join(','),
    '--workers',
    '2',
    '--no-color',
    ...(budget.seed !== undefined ? ['--seed', String(budget.seed)] : []),
  ];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { ...process.env, NO_COLOR: '1', COLUMNS: '120' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), budget.timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({
        target: target.name,
        generated: count(output, /(\d+) generated/),
        failures: count(output, /found (\d+) unique failures?/),
        errors: count(output, /(\d+) errors? in [\d.]+s/),
        exitCode: code,
        seconds: Math.round((Date.now() - started) / 1000),
        report: reportOf(output),
      });
    });
  });
}
