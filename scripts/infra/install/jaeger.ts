import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComponentError, type InfraContext } from '../component.js';
import { isExecutable, run, runOrThrow } from '../exec.js';
import { withHeartbeat } from '../output.js';
import { ensureExecutable } from './apt.js';
import { buildOnce } from './build-once.js';

/** The Jaeger release built from the Go module proxy (its all-in-one `jaeger` command). */
export const JAEGER_VERSION = 'v1.75.0';
const COMMAND = 'github.com/jaegertracing/jaeger/cmd/jaeger';

/** Path of the Jaeger binary in the shared tools cache (versioned: a newer pin builds next to it). */
export function jaegerBinary(toolsDir: string): string {
  return join(toolsDir, 'bin', `jaeger-${JAEGER_VERSION}`);
}

/** Whether the cached binary exists and runs. */
export async function isJaegerBuilt(toolsDir: string): Promise<boolean> {
  const binary = jaegerBinary(toolsDir);
  if (!(await isExecutable(binary))) return false;
  const result = await run(binary, ['--help'], { timeoutMs: 20_000 });
  return result.code === 0;
}

/**
 * Builds Jaeger in a throwaway Go module: `go get -tool <command>@<version>` records it as a tool
 * dependency with its whole module graph, then `go build` puts the binary in a scratch file that
 * is moved into the tools cache in one step.
 */
async function build(ctx: InfraContext, binary: string): Promise<void> {
  const { config } = ctx;
  const go = await ensureExecutable(ctx, 'jaeger', 'go', 'golang-go', [
    '/usr/local/go/bin',
    '/usr/lib/go/bin',
  ]);
  const logFile = join(config.logsDir, 'jaeger-build.log');
  const env = { ...config.baseEnv, GOFLAGS: '-buildvcs=false' };
  const scratch = await mkdtemp(join(tmpdir(), 'flotilla-jaeger-'));
  try {
    await writeFile(join(scratch, 'go.mod'), 'module flotilla.local/jaeger-build\n\ngo 1.24\n');
    await runOrThrow(go, ['get', '-tool', `${COMMAND}@${JAEGER_VERSION}`], {
      env,
      cwd: scratch,
      logFile,
      timeoutMs: 1_200_000,
    });
    await mkdir(join(config.toolsDir, 'bin'), { recursive: true });
    const staged = `${binary}.${process.pid}.tmp`;
    await runOrThrow(go, ['build', '-o', staged, COMMAND], {
      env,
      cwd: scratch,
      logFile,
      timeoutMs: 2_400_000,
    });
    await rename(staged, binary);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Makes sure the pinned Jaeger is in the tools cache; builds it if not (first time: many minutes). */
export async function ensureJaeger(ctx: InfraContext): Promise<string> {
  const binary = jaegerBinary(ctx.config.toolsDir);
  if (await isJaegerBuilt(ctx.config.toolsDir)) return binary;
  const progress = (message: string) => ctx.progress('jaeger', message);
  await withHeartbeat(
    progress,
    `building Jaeger ${JAEGER_VERSION}`,
    buildOnce(binary, {
      isCurrent: () => isJaegerBuilt(ctx.config.toolsDir),
      build: () => build(ctx, binary),
      onWait: (pid) => progress(`waiting for process ${pid}, which is building it`),
    }),
    ` from the Go module proxy into ${binary} (first time only, several minutes)`,
  ).catch((error: Error) => {
    throw new ComponentError('jaeger', `could not build Jaeger: ${error.message}`);
  });
  if (!(await isJaegerBuilt(ctx.config.toolsDir))) {
    throw new ComponentError('jaeger', `the Jaeger built in ${binary} does not run`);
  }
  return binary;
}
