import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'slow-service.ts');

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

/** Starts the fixture service and resolves with its port and its parsed log lines. */
function startFixture(
  slowMs: number,
): Promise<{ port: number; logs: Record<string, unknown>[]; exited: Promise<number | null> }> {
  child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, SLOW_MS: String(slowMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Record<string, unknown>[] = [];
  const current = child;
  const exited = new Promise<number | null>((resolve) => current.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fixture did not start')), 20_000);
    createInterface({ input: current.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'fixture-ready') {
          clearTimeout(timer);
          resolve({ port: entry.port as number, logs, exited });
        }
      } catch {
        // not JSON
      }
    });
  });
}

describe('graceful shutdown of an HTTP service', () => {
  it('on SIGTERM finishes the request in flight, flips readiness, refuses new work and exits 0', async () => {
    const { port, logs, exited } = await startFixture(1500);
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`).then(async (response) => ({
      status: response.status,
      body: await response.json(),
    }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    child?.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));

    // New connections are refused once the listener is closed.
    const late = await fetch(`http://127.0.0.1:${port}/health/live`).then(
      (response) => response.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);

    const completed = await inFlight;
    expect(completed).toEqual({ status: 200, body: { done: true } });
    const code = await exited;
    expect(code, JSON.stringify(logs)).toBe(0);
    const messages = logs.map((entry) => entry.msg);
    expect(messages).toContain('shutdown started');
    expect(messages).toContain('shutdown complete');
    expect(logs.find((entry) => entry.msg === 'shutdown started')?.reason).toBe('SIGTERM');
  });

  it('exits 1 when in-flight work outlasts the shutdown deadline', async () => {
    const { port, exited } = await startFixture(20_000);
    void fetch(`http://127.0.0.1:${port}/slow`).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    child?.kill('SIGTERM');
    expect(await exited).toBe(1);
  });
});
