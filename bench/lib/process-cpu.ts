/**
 * CPU time per process from /proc (Linux), to say which process of a pipeline spends the CPU: a figure
 * the machine's other load moves much less than throughput. Elsewhere every reading is 0.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { round } from './measure.js';

/**
 * Which processes make up one group: the pid of a process we started, that process and its children
 * (an nginx master and its workers), or a pattern of command lines.
 */
export type ProcessGroup =
  | { pid: number | undefined }
  | { withChildren: number | undefined }
  | { commandLine: RegExp };

/** The fields of /proc/<pid>/stat after the command name (state, ppid, ...), or undefined once it ended. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function cpuSecondsOf(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields && (Number(fields[11]) + Number(fields[12])) / 100;
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Every process id under /proc. */
const allPids = () => readdirSync('/proc').map(Number).filter(Number.isInteger);

function pidsOf(group: ProcessGroup): number[] {
  if ('pid' in group) return group.pid === undefined ? [] : [group.pid];
  if ('withChildren' in group) {
    const parent = group.withChildren;
    if (parent === undefined) return [];
    return [parent, ...allPids().filter((pid) => Number(statFields(pid)?.[1]) === parent)];
  }
  return allPids().filter((pid) => group.commandLine.test(commandLineOf(pid)));
}

/**
 * CPU seconds of this process's children that have ended and been waited for (`cutime` + `cstime`): the
 * cost of a short-lived child such as a wrk run, which has left /proc by the time a snapshot is taken.
 */
export function endedChildrenCpuSeconds(): number {
  const fields = statFields(process.pid);
  return fields ? (Number(fields[13]) + Number(fields[14])) / 100 : 0;
}

/** CPU seconds used so far by each process of each group, by pid. */
export type CpuSnapshot = Map<string, Map<number, number>>;

/** Reads the CPU time of every process of every group now. */
export function snapshotCpu(groups: Record<string, ProcessGroup>): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const [name, group] of Object.entries(groups)) {
    const byPid = new Map<number, number>();
    for (const pid of pidsOf(group)) {
      const seconds = cpuSecondsOf(pid);
      if (seconds !== undefined) byPid.set(pid, seconds);
    }
    snapshot.set(name, byPid);
  }
  return snapshot;
}

/**
 * CPU milliseconds each group used between two snapshots, divided by `per` (e.g. photos). A process that
 * appeared in between counts from zero; one that ended in between is not counted.
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, per = 1): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, pids] of after) {
    let seconds = 0;
    for (const [pid, now] of pids) seconds += now - (before.get(name)?.get(pid) ?? 0);
    result[name] = round((seconds * 1000) / per);
  }
  return result;
}

/** `worker 120 ms, data-mongo 30 ms` from {@link cpuBetween}'s result. */
export function describeCpu(cpu: Record<string, number>): string {
  return Object.entries(cpu)
    .map(([name, ms]) => `${name} ${ms} ms`)
    .join(', ');
}
