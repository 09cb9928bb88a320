import { cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComponentError, type InfraContext } from '../component.js';
import { isExecutable, run, runOrThrow } from '../exec.js';
import { withHeartbeat } from '../output.js';
import { ensureExecutable } from './apt.js';

/** The FerretDB release built from the Go module proxy. */
export const FERRETDB_VERSION = 'v1.24.2';
const MODULE = 'github.com/FerretDB/FerretDB';

/** Path of the FerretDB binary in the shared tools cache. */
export function ferretdbBinary(ctx: InfraContext): string {
  return join(ctx.config.toolsDir, 'bin', 'ferretdb');
}

async function installedVersion(binary: string): Promise<string | undefined> {
  if (!(await isExecutable(binary))) return undefined;
  const result = await run(binary, ['--version'], { timeoutMs: 10_000 });
  return result.code === 0 ? /^version: (\S+)/m.exec(result.stdout)?.[1] : undefined;
}

/**
 * Builds FerretDB from its module source. The module zip lacks `build/version/version.txt`, without
 * which the binary panics at start, so the source is copied to a scratch directory, the file is
 * written, and the binary is built there, then moved into the tools cache in one step.
 */
async function build(ctx: InfraContext, binary: string): Promise<void> {
  const { config } = ctx;
  const go = await ensureExecutable(ctx, 'ferretdb', 'go', 'golang-go', [
    '/usr/local/go/bin',
    '/usr/lib/go/bin',
  ]);
  const logFile = join(config.logsDir, 'ferretdb-build.log');
  const env = { ...config.baseEnv, GOFLAGS: '-buildvcs=false' };
  const download = await runOrThrow(go, ['mod', 'download', '-json', `${MODULE}@${FERRETDB_VERSION}`], {
    env,
    cwd: tmpdir(),
    timeoutMs: 600_000,
  });
  const { Dir: moduleDir } = JSON.parse(download) as { Dir?: string };
  if (!moduleDir) throw new Error(`go mod download gave no directory for ${MODULE}@${FERRETDB_VERSION}`);
  const scratch = await mkdtemp(join(tmpdir(), 'flotilla-ferretdb-'));
  try {
    const source = join(scratch, 'src');
    await cp(moduleDir, source, { recursive: true });
    await runOrThrow('chmod', ['-R', 'u+w', source]);
    await writeFile(join(source, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    await mkdir(join(config.toolsDir, 'bin'), { recursive: true });
    const staged = `${binary}.${process.pid}.tmp`;
    await runOrThrow(go, ['build', '-o', staged, './cmd/ferretdb'], {
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

/** Makes sure a working FerretDB of the pinned version is in the tools cache; builds it if not. */
export async function ensureFerretdb(ctx: InfraContext): Promise<string> {
  const binary = ferretdbBinary(ctx);
  if ((await installedVersion(binary)) === FERRETDB_VERSION) return binary;
  const progress = (message: string) => ctx.progress('ferretdb', message);
  await withHeartbeat(
    progress,
    `building FerretDB ${FERRETDB_VERSION}`,
    build(ctx, binary),
    ` from the Go module proxy into ${binary} (first time only, a few minutes)`,
  ).catch((error: Error) => {
    throw new ComponentError('ferretdb', `could not build FerretDB: ${error.message}`);
  });
  const version = await installedVersion(binary);
  if (version !== FERRETDB_VERSION) {
    throw new ComponentError(
      'ferretdb',
      `the FerretDB built in ${binary} reports version ${version ?? 'none'}`,
    );
  }
  return binary;
}
