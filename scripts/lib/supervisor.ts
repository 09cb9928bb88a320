import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child process started by the launcher, in its own process group. */
export interface Supervised {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or 128+signal number style codes as null -> -1) when it exits. */
  exited: Promise<number>;
  /** True once it has exited. */
  readonly done: boolean;
}

const COLORS = [36, 35, 33, 32, 34, 31];

/** Prefixes every line of a stream with a coloured service name. */
function pipeWithPrefix(
  stream: NodeJS.ReadableStream | null,
  name: string,
  index: number,
  colour: boolean,
): void {
  if (!stream) return;
  const label = name.padEnd(13);
  const prefix = colour ? `\u001b[${COLORS[index % COLORS.length]}m${label}\u001b[0m │ ` : `${label} │ `;
  createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
}

/**
 * Starts `command` detached in its own process group, so a Ctrl-C in the terminal reaches only the
 * launcher, which then stops each child in order. Output lines are prefixed with the name.
 */
export function startSupervised(
  name: string,
  index: number,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; colour: boolean },
): Supervised {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeWithPrefix(child.stdout, name, index, options.colour);
  pipeWithPrefix(child.stderr, name, index, options.colour);
  let done = false;
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code) => {
      done = true;
      resolve(code ?? -1);
    });
    child.on('error', () => {
      done = true;
      resolve(127);
    });
  });
  return {
    name,
    child,
    exited,
    get done() {
      return done;
    },
  };
}

/**
 * Stops a supervised process: SIGTERM to its whole group, then SIGKILL to the group if it has not
 * exited within `graceMs`. Resolves with its exit code.
 */
export async function stopSupervised(process_: Supervised, graceMs: number): Promise<number> {
  const pid = process_.child.pid;
  if (process_.done || pid === undefined) return process_.exited;
  signalGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  const code = await process_.exited;
  clearTimeout(timer);
  // Anything the service itself spawned goes with it.
  signalGroup(pid, 'SIGKILL');
  return code;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
