import type { ChildProcess } from 'node:child_process';

/**
 * Waits until a server a test started answers (`answers()` resolves true), polling every `pollMs`.
 * Fails at once if the process exits, and after `timeoutMs` if it never answers.
 */
export async function waitUntilAnswering(
  process_: ChildProcess,
  name: string,
  answers: () => Promise<boolean>,
  { timeoutMs, pollMs }: { timeoutMs: number; pollMs: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await answers())) {
    if (process_.exitCode !== null) throw new Error(`${name} exited with ${process_.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${name} did not answer within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Stops a server a test started: `signal` (its clean shutdown), SIGKILL if it is still running after
 * `killAfterMs`; resolves once it has exited. Nothing to do for a process already gone.
 */
export async function stopServerProcess(
  running: ChildProcess | undefined,
  signal: NodeJS.Signals,
  killAfterMs: number,
): Promise<void> {
  if (!running || running.exitCode !== null || running.signalCode !== null) return;
  const exited = new Promise((resolve) => running.once('exit', resolve));
  running.kill(signal);
  const timer = setTimeout(() => running.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}
