import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ComponentError, type InfraContext } from '../component.js';
import { isExecutable, run } from '../exec.js';
import { withHeartbeat } from '../output.js';
import { buildGoProgram, type GoProgram } from './go-build.js';

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
 * FerretDB from its module source. The module zip lacks `build/version/version.txt`, without which
 * the binary panics at start, so the file is written into the copied source before the build.
 */
const FERRETDB_PROGRAM: GoProgram = {
  module: MODULE,
  version: FERRETDB_VERSION,
  mainPackage: './cmd/ferretdb',
  prepare: (source) => writeFile(join(source, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`),
};

function build(ctx: InfraContext, binary: string): Promise<void> {
  const logFile = join(ctx.config.logsDir, 'ferretdb-build.log');
  return buildGoProgram(ctx, 'ferretdb', FERRETDB_PROGRAM, binary, logFile);
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
