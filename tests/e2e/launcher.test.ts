import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { servicePorts } from '../../scripts/lib/services.js';
import { repoRoot } from './helpers/service-process.js';
import { runUserJourney } from './helpers/user-journey.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The services' pids from the launcher's `pids` line. */
function servicePidsByName(output: readonly string[]): Record<string, number> {
  const pidsLine = output.find((line) => line.includes(' pids ')) ?? '';
  return Object.fromEntries(
    [...pidsLine.matchAll(/([a-z-]+)=(\d+)/g)].map((match) => [match[1] as string, Number(match[2])]),
  );
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
}

function servicePids(output: readonly string[]): number[] {
  return Object.values(servicePidsByName(output));
}

describe('npm start (the launcher)', () => {
  it('starts the five services behind the gateway, serves a user from sign-up to answers, and on Ctrl-C leaves no process behind', async () => {
    const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const launcher = spawn(process.execPath, [tsx, 'scripts/start.ts'], {
      cwd: repoRoot,
      env: { ...process.env, LOG_PRETTY: 'false', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', (code) => resolve(code)));
    createInterface({ input: launcher.stderr }).on('line', (line) => output.push(line));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`launcher not ready:\n${output.slice(-40).join('\n')}`)),
        240_000,
      );
      createInterface({ input: launcher.stdout }).on('line', (line) => {
        output.push(line);
        if (line.includes('press Ctrl-C to stop everything')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) =>
        reject(new Error(`launcher exited early (${code}):\n${output.slice(-40).join('\n')}`)),
      );
    });
    try {
      await ready;
      const pids = servicePidsByName(output);
      expect(Object.keys(pids).sort()).toEqual(['api', 'bot', 'data-mongo', 'data-postgres', 'worker']);
      for (const pid of Object.values(pids)) expect(isAlive(pid)).toBe(true);
      expect(output.join('\n')).toContain('gateway');

      // Through the gateway to the api: the api's own problem+json 404, with the request id echoed once.
      const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
      const viaGateway = await fetch(`${gateway}/api/v1/no-such-thing`, {
        headers: { 'x-request-id': 'launcher-e2e-1' },
      });
      expect(viaGateway.status).toBe(404);
      expect(viaGateway.headers.get('x-request-id')).toBe('launcher-e2e-1');
      expect(((await viaGateway.json()) as { code: string }).code).toBe('ROUTE.NOT_FOUND');
      for (const port of Object.values(servicePorts(process.env))) {
        expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
      }

      // A user's whole journey through the gateway: account, photo processed by the worker, document
      // indexed by the worker, a question answered from it, stats.
      await runUserJourney(gateway);

      launcher.kill('SIGINT');
      const exitCode = await exited;
      expect(exitCode, output.slice(-30).join('\n')).toBe(0);
      for (const [name, pid] of Object.entries(pids))
        expect(isAlive(pid), `${name} (${pid}) still running`).toBe(false);
      for (const port of Object.values(servicePorts(process.env))) {
        const refused = await fetch(`http://127.0.0.1:${port}/health/live`).then(
          () => false,
          () => true,
        );
        expect(refused, `port ${port} still answers`).toBe(true);
      }
      expect(output.join('\n')).toContain('all stopped');
    } finally {
      // On a failure the launcher still stops what it started (Ctrl-C), bounded; anything left is killed,
      // services included (they run in process groups of their own, so killing the launcher is not enough).
      if (launcher.exitCode === null) {
        launcher.kill('SIGINT');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
        if (launcher.exitCode === null) launcher.kill('SIGKILL');
      }
      for (const pid of servicePids(output)) {
        if (isAlive(pid)) killGroup(pid);
      }
    }
  }, 480_000);
});
