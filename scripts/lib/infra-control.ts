import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readLiveRecord } from '../infra/processes.js';
import { ALL_COMPONENTS } from '../infra/registry.js';

/** Components whose server process the infrastructure script started and still runs (its pid records). */
export async function runningInfraComponents(repoRoot: string): Promise<string[]> {
  const runDir = join(repoRoot, '.data', 'run');
  const alive: string[] = [];
  for (const component of ALL_COMPONENTS) {
    if (await readLiveRecord(runDir, component.name)) alive.push(component.name);
  }
  return alive;
}

function runInfra(repoRoot: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/infra.ts', ...args],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(127));
  });
}

/**
 * Runs `infra up` and tells which components this call started (as opposed to servers that were
 * already running, which a launcher must leave alone when it stops). With `observability`, Jaeger
 * and Prometheus are provided too.
 */
export async function infraUp(
  repoRoot: string,
  observability = false,
): Promise<{ ok: boolean; started: string[] }> {
  const before = new Set(await runningInfraComponents(repoRoot));
  const code = await runInfra(repoRoot, observability ? ['up', '--observability'] : ['up']);
  const after = await runningInfraComponents(repoRoot);
  return { ok: code === 0, started: after.filter((component) => !before.has(component)) };
}

/** Stops the named components (only those the infrastructure script started). */
export async function infraDown(repoRoot: string, components: string[]): Promise<boolean> {
  return (await runInfra(repoRoot, ['down', ...components])) === 0;
}
