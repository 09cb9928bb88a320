import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '..', '..');

describe('documentation', () => {
  it('has a configuration reference and .env.example generated from the current schemas', async () => {
    const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const { stdout } = await run(
      process.execPath,
      [tsx, '--conditions=flotilla-source', 'scripts/config-reference.ts', '--check'],
      {
        cwd: repoRoot,
      },
    );
    expect(stdout).toContain('up to date');
  });

  it('gives a quick start of exactly two command lines', async () => {
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
    const section = readme.split('## Quick start')[1]?.split('\n## ')[0] ?? '';
    const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) =>
      (block[1] ?? '').split('\n').filter((line) => line.trim() !== ''),
    );
    expect(commands).toEqual(['npm install && npm start', 'npm test']);
    const scripts = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')).scripts as Record<
      string,
      string
    >;
    expect(scripts.start).toBeDefined();
    expect(scripts.test).toBeDefined();
  });
});
