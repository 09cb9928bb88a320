import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, open, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** How to run a short-lived command. */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Text written to the command's standard input. */
  input?: string;
  timeoutMs?: number;
  /** Append stdout and stderr to this file instead of capturing them. */
  logFile?: string;
}

/** Exit code (`null` when killed or not started) and captured output. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws, a failure to start is reported in `stderr`. */
export async function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const log = options.logFile ? await open(options.logFile, 'a') : undefined;
  try {
    return await new Promise<RunResult>((resolve) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const output = log ? log.fd : 'pipe';
      const child = spawn(command, args, {
        env: options.env,
        cwd: options.cwd,
        uid: options.uid,
        gid: options.gid,
        stdio: ['pipe', output, output],
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
      });
      child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error) => resolve({ code: null, stdout: '', stderr: error.message }));
      child.on('close', (code) =>
        resolve({
          code,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        }),
      );
      child.stdin?.on('error', () => {});
      child.stdin?.end(options.input ?? '');
    });
  } finally {
    await log?.close();
  }
}

/** Runs a command and returns its stdout; throws with the command's own message on failure. */
export async function runOrThrow(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const output = options.logFile ? await readFile(options.logFile, 'utf8').catch(() => '') : '';
    const detail = (result.stderr || result.stdout || output).trim().split('\n').slice(-5).join('\n    ');
    const where = options.logFile ? ` (log: ${options.logFile})` : '';
    throw new Error(`\`${command} ${args.join(' ')}\` failed${where}${detail ? `:\n    ${detail}` : ''}`);
  }
  return result.stdout;
}

/** True when `path` exists and is executable. */
export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds an executable on PATH (plus `extraDirs`), like `which`. */
export async function findExecutable(
  name: string,
  path: string | undefined,
  extraDirs: string[] = [],
): Promise<string | undefined> {
  const dirs = [...(path ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}
