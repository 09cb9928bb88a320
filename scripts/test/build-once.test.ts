import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOnce } from '../infra/install/build-once.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-build-once-'));
  dirs.push(dir);
  return dir;
}

/** A build that takes a while and counts itself in `builds`. */
function slowBuild(binary: string, builds: string[], label: string) {
  return async () => {
    builds.push(label);
    await sleep(300);
    await writeFile(binary, label);
  };
}

describe('building a tool of the shared cache once at a time', () => {
  it('builds once when two callers want the same missing tool; the second waits and uses it', async () => {
    const binary = join(await scratch(), 'bin', 'tool');
    const builds: string[] = [];
    const waited: number[] = [];
    const isCurrent = async () => existsSync(binary);
    await Promise.all([
      buildOnce(binary, { isCurrent, build: slowBuild(binary, builds, 'first'), pollMs: 50 }),
      sleep(50).then(() =>
        buildOnce(binary, {
          isCurrent,
          build: slowBuild(binary, builds, 'second'),
          onWait: (pid) => waited.push(pid),
          pollMs: 50,
        }),
      ),
    ]);
    expect(builds).toEqual(['first']);
    expect(waited).toEqual([process.pid]);
    expect(await readFile(binary, 'utf8')).toBe('first');
    expect(existsSync(`${binary}.lock`)).toBe(false);
  });

  it('takes over a lock left by a process that died', async () => {
    const binary = join(await scratch(), 'tool');
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.once('exit', resolve));
    await writeFile(`${binary}.lock`, `${dead.pid}\n`);
    const builds: string[] = [];
    await buildOnce(binary, {
      isCurrent: async () => existsSync(binary),
      build: slowBuild(binary, builds, 'mine'),
      pollMs: 50,
    });
    expect(builds).toEqual(['mine']);
    expect(existsSync(`${binary}.lock`)).toBe(false);
  });

  it('releases the lock when the build fails, so the next caller can try again', async () => {
    const binary = join(await scratch(), 'tool');
    const failing = buildOnce(binary, {
      isCurrent: async () => existsSync(binary),
      build: async () => {
        throw new Error('the module proxy is unreachable');
      },
    });
    await expect(failing).rejects.toThrow(/unreachable/);
    expect(existsSync(`${binary}.lock`)).toBe(false);
  });

  it('does not build a tool that is already current', async () => {
    const binary = join(await scratch(), 'tool');
    await writeFile(binary, 'built before');
    const builds: string[] = [];
    await buildOnce(binary, {
      isCurrent: async () => existsSync(binary),
      build: slowBuild(binary, builds, 'again'),
    });
    expect(builds).toEqual([]);
  });
});
