import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A long-running server process to start in the background. */
export interface ProcessSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  uid?: number;
  gid?: number;
  logFile: string;
}

/** What `.data/run/<name>.pid` records about a process this script started. */
export interface PidRecord {
  pid: number;
  command: string;
  ports: number[];
  startedAt: string;
  /** The component's signature when it was started (see `Component.signature`). */
  signature?: string;
}

/**
 * Starts a process that outlives this script: detached into its own process group, stdin closed,
 * stdout and stderr appended to its log file.
 */
export async function spawnDetached(spec: ProcessSpec): Promise<number> {
  const log = await open(spec.logFile, 'a');
  try {
    await log.write(`\n--- ${new Date().toISOString()} starting ${spec.command} ${spec.args.join(' ')}\n`);
    const child = spawn(spec.command, spec.args, {
      env: spec.env,
      cwd: spec.cwd,
      uid: spec.uid,
      gid: spec.gid,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid as number));
    });
    child.unref();
    return pid;
  } finally {
    await log.close();
  }
}

/** True when a process with this id runs (a zombie waiting to be reaped does not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Live (non-zombie) members of a process group, from /proc; undefined where /proc is missing. */
async function liveGroupMembers(pgid: number): Promise<number[] | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name in parentheses: state, ppid, pgrp, ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') members.push(Number(entry));
  }
  return members;
}

/** True while any process of the group runs. Zombies waiting for their parent to reap them don't count. */
async function isGroupAlive(pgid: number): Promise<boolean> {
  const members = await liveGroupMembers(pgid);
  if (members) return members.length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function pidFilePath(runDir: string, name: string): string {
  return join(runDir, `${name}.pid`);
}

export async function writePidRecord(runDir: string, name: string, record: PidRecord): Promise<void> {
  await mkdir(runDir, { recursive: true });
  await writeFile(pidFilePath(runDir, name), `${JSON.stringify(record)}\n`);
}

export async function removePidRecord(runDir: string, name: string): Promise<void> {
  await rm(pidFilePath(runDir, name), { force: true });
}

async function readCommandLine(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/**
 * The record of a process this script started that is still running. A record whose process is
 * gone, or whose id now belongs to another program, is removed and `undefined` returned.
 */
export async function readLiveRecord(runDir: string, name: string): Promise<PidRecord | undefined> {
  let record: PidRecord;
  try {
    record = JSON.parse(await readFile(pidFilePath(runDir, name), 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
  let alive = Number.isInteger(record.pid) && record.pid > 1 && isAlive(record.pid);
  if (alive) {
    const commandLine = await readCommandLine(record.pid);
    // /proc may be missing (not Linux): then trust the id.
    alive = commandLine === undefined || commandLine.includes(basename(record.command));
  }
  if (!alive) {
    await removePidRecord(runDir, name);
    return undefined;
  }
  return record;
}

/** Waits until no process of the group is left; false on timeout. */
export async function waitForGroupExit(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isGroupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Sends `signal` to the process group led by `pgid` and waits for it to exit; after `timeoutMs`
 * the group is killed. Returns how it ended.
 */
export async function stopProcessGroup(
  pgid: number,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<'stopped' | 'killed'> {
  try {
    process.kill(-pgid, signal);
  } catch {
    try {
      process.kill(pgid, signal);
    } catch {
      // already gone
    }
  }
  if (await waitForGroupExit(pgid, timeoutMs)) return 'stopped';
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
  await waitForGroupExit(pgid, 5000);
  return 'killed';
}

/** The last lines of a log file, to explain why a server did not start. */
export async function tailFile(path: string, lines = 8): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
