/**
 * Services and fixtures started for a benchmark as their own processes from the build (`node
 * dist/main.js`, as in production), their log lines written to a file (not parsed by the benchmark,
 * which shares the cores), with readiness polling, RSS and CPU time read from /proc.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../tests/e2e/helpers/service-process.js';
import { round } from './measure.js';
import { type MemoryCap, memoryCapFor } from './memory-cap.js';

const repoRoot = join(import.meta.dirname, '..', '..');

/** A process under test, listening on loopback. */
export interface BenchProcess {
  name: string;
  child: ChildProcess;
  port: number;
  url(path: string): string;
  /** Resident set size now, MB. */
  rssMb(): number;
  /** CPU seconds (user + system) used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Builds the workspace once (`tsc -b`): services run from `dist/`. */
export function buildWorkspace(): void {
  execFileSync('npx', ['tsc', '-b'], { cwd: repoRoot, stdio: 'inherit' });
}

/** A temporary folder for log files and CPU profiles; removed by `remove()`. */
export async function benchFolder(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'flotilla-bench-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

function procStatus(pid: number | undefined): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

/** CPU seconds (user + system) of a process, from /proc (Linux); 0 elsewhere. */
export function cpuSecondsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Options of {@link startBenchProcess}. */
export interface StartOptions {
  name: string;
  /** Node arguments: a script and its arguments (e.g. `['dist/main.js']`). */
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Log lines go to `<logDir>/<name>.log`. */
  logDir: string;
  /** Polled until it answers 200 (default `/health/ready`). */
  readyPath?: string;
  /** `--cpu-prof` into this folder. */
  cpuProfileDir?: string;
  /** Run under this memory cgroup (see `memory-cap.ts`). */
  memoryCap?: MemoryCap;
}

/** Starts a Node process on a free port (`PORT`, `HOST=127.0.0.1`) and waits until it is ready. */
export async function startBenchProcess(options: StartOptions): Promise<BenchProcess> {
  const port = await freePort();
  const log = openSync(join(options.logDir, `${options.name}.log`), 'a');
  const nodeArgs = [
    ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
    ...options.args,
  ];
  const launch = options.memoryCap
    ? options.memoryCap.wrap(process.execPath, nodeArgs)
    : { command: process.execPath, args: nodeArgs };
  const child = spawn(launch.command, launch.args, {
    cwd: options.cwd,
    env: { ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', log, log],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  let capReported = false;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    const cap = options.memoryCap;
    if (cap && !capReported) {
      capReported = true;
      const used = cap.report();
      console.log(
        `   ${options.name} under a ${cap.limitMib} MiB memory cgroup: peak ${used.peakMib} MiB, limit hit ${used.limitHits} times, ${used.oomKills} killed by the kernel${child.signalCode === 'SIGKILL' && used.oomKills > 0 ? ' (this process)' : ''}`,
      );
      cap.remove();
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${options.name} exited with ${child.exitCode} (log: ${options.logDir})`);
    const ok = await fetch(url(options.readyPath ?? '/health/ready'), {
      signal: AbortSignal.timeout(1000),
    }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.name} not ready in 60 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name: options.name,
    child,
    port,
    url,
    rssMb: () => round(Number(/VmRSS:\s+(\d+)/.exec(procStatus(child.pid))?.[1] ?? 0) / 1024),
    cpuSeconds: () => cpuSecondsOf(child.pid),
    stop,
  };
}

/** Starts `services/<service>/dist/main.js`. */
export function startBuiltService(
  service: string,
  env: NodeJS.ProcessEnv,
  options: { logDir: string; cpuProfileDir?: string; name?: string },
): Promise<BenchProcess> {
  const name = options.name ?? service;
  const memoryCap = memoryCapFor(service, name);
  return startBenchProcess({
    name,
    args: ['dist/main.js'],
    cwd: join(repoRoot, 'services', service),
    env,
    ...options,
    ...(memoryCap ? { memoryCap } : {}),
  });
}

/** Starts `bench/fixtures/<file>` (a baseline server). */
export function startFixture(
  file: string,
  env: NodeJS.ProcessEnv,
  options: { logDir: string; readyPath: string },
): Promise<BenchProcess> {
  return startBenchProcess({
    name: file.replace(/\.mjs$/, ''),
    args: [join(import.meta.dirname, '..', 'fixtures', file)],
    cwd: repoRoot,
    env,
    ...options,
  });
}
