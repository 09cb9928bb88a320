import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { InfraContext } from '../component.js';
import { runOrThrow } from '../exec.js';
import { ensureExecutable } from './apt.js';

/** A program built from a module on the Go module proxy. */
export interface GoProgram {
  /** Module path, e.g. `helm.sh/helm/v4`. */
  module: string;
  /** Module version, e.g. `v4.3.2`. */
  version: string;
  /** The main package, relative to the module root, e.g. `./cmd/helm`. */
  mainPackage: string;
  /** Linker flags (version stamps); `-s -w` are always added. */
  ldflags?: string[];
  /** Fixes the copied source before the build (e.g. writes a file the module zip lacks). */
  prepare?: (sourceDir: string) => Promise<void>;
}

/** Finds `go` (PATH, /usr/local/go, Debian's golang-go), installing golang-go with apt-get when missing. */
export function ensureGo(ctx: InfraContext, component: string): Promise<string> {
  return ensureExecutable(ctx, component, 'go', 'golang-go', ['/usr/local/go/bin', '/usr/lib/go/bin']);
}

/**
 * Builds `program` into `binary`, the way every Go tool of the project is built:
 *   1. `go mod download` fetches the module from the Go module proxy (cached in GOMODCACHE);
 *   2. the source is copied to a scratch directory and built there as the main module, so its own
 *      go.mod (replace and exclude directives included) applies, which `go install pkg@version`
 *      refuses;
 *   3. the binary is built next to its destination and renamed into place in one step, so an
 *      interrupted build never leaves a half-written tool in the cache.
 * Build output goes to `logFile`. Go's build cache makes a rebuild of the same version quick.
 */
export async function buildGoProgram(
  ctx: InfraContext,
  component: string,
  program: GoProgram,
  binary: string,
  logFile: string,
): Promise<void> {
  const go = await ensureGo(ctx, component);
  const env = { ...ctx.config.baseEnv, GOFLAGS: '-buildvcs=false' };
  const download = await runOrThrow(
    go,
    ['mod', 'download', '-json', `${program.module}@${program.version}`],
    {
      env,
      cwd: tmpdir(),
      timeoutMs: 900_000,
    },
  );
  const { Dir: moduleDir } = JSON.parse(download) as { Dir?: string };
  if (!moduleDir)
    throw new Error(`go mod download gave no directory for ${program.module}@${program.version}`);
  const scratch = await mkdtemp(join(tmpdir(), `flotilla-${component}-`));
  try {
    const source = join(scratch, 'src');
    await cp(moduleDir, source, { recursive: true });
    await runOrThrow('chmod', ['-R', 'u+w', source]);
    await program.prepare?.(source);
    await mkdir(dirname(binary), { recursive: true });
    await mkdir(dirname(logFile), { recursive: true });
    const staged = `${binary}.${process.pid}.tmp`;
    const ldflags = ['-s', '-w', ...(program.ldflags ?? [])].join(' ');
    await runOrThrow(go, ['build', '-ldflags', ldflags, '-o', staged, program.mainPackage], {
      env,
      cwd: source,
      logFile,
      timeoutMs: 1_800_000,
    });
    await rename(staged, binary);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
