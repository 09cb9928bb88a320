/**
 * Runs a benchmark's service under the memory limit its Helm chart and Compose file give it, in a
 * memory cgroup of its own, when `FLOTILLA_BENCH_MEMORY_CAP=1` (Linux, as root). The kernel then
 * enforces the limit as in a pod, and Node sizes its heap from it as it does in a container. The
 * peak usage and the number of times the limit was hit are read back when the process stops.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const repoRoot = join(import.meta.dirname, '..', '..');

/** The chart's values key of each service. */
const CHART_KEYS: Readonly<Record<string, string>> = {
  api: 'api',
  bot: 'bot',
  worker: 'worker',
  'data-postgres': 'dataPostgres',
  'data-mongo': 'dataMongo',
};

/** A Kubernetes memory quantity in MiB (`512Mi`, `1Gi`). */
function mebibytes(quantity: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`unexpected memory quantity in the chart: ${quantity}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}

/** The memory limit `deploy/helm/flotilla/values.yaml` gives `service` (MiB), read from the chart. */
export function chartMemoryLimitMib(service: string): number | undefined {
  const key = CHART_KEYS[service];
  if (key === undefined) return undefined;
  const values = parse(
    readFileSync(join(repoRoot, 'deploy', 'helm', 'flotilla', 'values.yaml'), 'utf8'),
  ) as Record<string, { resources?: { limits?: { memory?: string } } }>;
  const limit = values[key]?.resources?.limits?.memory;
  return limit === undefined ? undefined : mebibytes(limit);
}

const V1_ROOT = '/sys/fs/cgroup/memory';

/** A memory cgroup a process runs in: its limit, and what it used. */
export interface MemoryCap {
  limitMib: number;
  /** The shell prefix that moves the process into the cgroup before it becomes node. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Peak usage (MiB), times the limit was hit, and whether the kernel killed a process for it. */
  report(): { peakMib: number; limitHits: number; oomKills: number };
  remove(): void;
}

/** The cap for `service` when the memory cap is asked for and the service has a chart limit. */
export function memoryCapFor(service: string, name: string): MemoryCap | undefined {
  if (process.env.FLOTILLA_BENCH_MEMORY_CAP !== '1') return undefined;
  const limitMib = chartMemoryLimitMib(service);
  if (limitMib === undefined) return undefined;
  if (!existsSync(join(V1_ROOT, 'memory.limit_in_bytes')))
    throw new Error(`FLOTILLA_BENCH_MEMORY_CAP needs the cgroup v1 memory controller at ${V1_ROOT}`);
  const path = join(V1_ROOT, `flotilla-bench-${name}-${process.pid}`);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitMib * 1024 * 1024));
  const read = (file: string) => readFileSync(join(path, file), 'utf8');
  return {
    limitMib,
    wrap: (command, args) => ({
      command: '/bin/sh',
      args: ['-c', `echo $$ > ${join(path, 'cgroup.procs')} && exec "$0" "$@"`, command, ...args],
    }),
    report: () => ({
      peakMib: Math.round(Number(read('memory.max_usage_in_bytes')) / 1024 / 1024),
      limitHits: Number(read('memory.failcnt')),
      oomKills: Number(/oom_kill (\d+)/.exec(read('memory.oom_control'))?.[1] ?? 0),
    }),
    remove: () => {
      try {
        rmdirSync(path);
      } catch {
        // still has a process (a kill that has not landed yet): left for the system to clear
      }
    },
  };
}
