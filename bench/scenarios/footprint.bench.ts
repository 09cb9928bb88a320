import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { baseServiceEnv, freePort } from '../../tests/e2e/helpers/service-process.js';
import {
  compare,
  type Measurement,
  quantile,
  round,
  type Scenario,
  type ScenarioResult,
} from '../lib/measure.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const SERVICES = ['api', 'bot', 'worker', 'data-postgres', 'data-mongo'] as const;

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return round(kb / 1024);
}

/** Starts a process, waits for /health/live, settles, reads RSS, stops it. */
async function measureStart(command: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const port = await freePort();
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, command, {
    cwd,
    env: { ...env, PORT: String(port) },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${command.join(' ')} exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health/live`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) break;
      if (performance.now() - started > 30_000) throw new Error(`${command.join(' ')} not ready in 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const readyMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return { readyMs, rss: await rssMb(child.pid as number) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

function summarise(label: string, samples: Array<{ readyMs: number; rss: number }>): Measurement {
  const ready = samples.map((sample) => sample.readyMs).sort((a, b) => a - b);
  const rss = samples.map((sample) => sample.rss).sort((a, b) => a - b);
  return {
    label,
    operations: samples.length,
    errors: 0,
    seconds: round(ready.reduce((sum, value) => sum + value, 0) / 1000),
    throughput_per_s: round(1000 / quantile(ready, 0.5)),
    p50_ms: round(quantile(ready, 0.5)),
    p99_ms: round(quantile(ready, 0.99)),
    max_ms: round(ready.at(-1) ?? 0),
    rss_mb: quantile(rss, 0.5),
  };
}

const scenario: Scenario = {
  name: 'footprint',
  description:
    'Idle RSS (after ready + 1 s) and time from spawn to a 200 on /health/live, per service (built, node dist/main.js), vs a bare Fastify app. p50/p99 are start times; "ops/s" is starts per second.',
  async run({ quick }) {
    execFileSync('npx', ['tsc', '-b'], { cwd: repoRoot, stdio: 'inherit' });
    const env: NodeJS.ProcessEnv = { ...baseServiceEnv(), NODE_ENV: 'production', LOG_LEVEL: 'warn' };
    const runs = quick ? 2 : 5;
    const baselineSamples = [];
    for (let i = 0; i < runs; i += 1) {
      baselineSamples.push(
        await measureStart([join(import.meta.dirname, '..', 'fixtures', 'bare-fastify.mjs')], repoRoot, env),
      );
    }
    const baseline = summarise('bare Fastify', baselineSamples);
    const results: ScenarioResult[] = [];
    for (const service of SERVICES) {
      const samples = [];
      for (let i = 0; i < runs; i += 1) {
        samples.push(await measureStart(['dist/main.js'], join(repoRoot, 'services', service), env));
      }
      const system = summarise(service, samples);
      results.push(
        compare(
          `footprint/${service}`,
          `${service}: start-up time and idle RSS vs a bare Fastify app.`,
          system,
          baseline,
          {
            notes: [`RSS ratio ${round((system.rss_mb ?? 0) / (baseline.rss_mb ?? 1))}.`],
          },
        ),
      );
    }
    return results;
  },
};

export default scenario;
