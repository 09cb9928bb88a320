import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ComponentError, type InfraContext } from '../component.js';
import { isExecutable, run, runOrThrow } from '../exec.js';
import { withInfraLock } from '../lock.js';
import { withHeartbeat } from '../output.js';
import { aptInstall, ensureExecutable } from './apt.js';

/** The Schemathesis release the fuzz tests drive (a property-based fuzzer of OpenAPI documents). */
export const SCHEMATHESIS_VERSION = '4.32.5';

/** The virtualenv in the shared tools cache that holds Schemathesis. */
export function schemathesisVenv(ctx: InfraContext): string {
  return join(ctx.config.toolsDir, 'schemathesis-venv');
}

async function installedVersion(venv: string): Promise<string | undefined> {
  const python = join(venv, 'bin', 'python');
  if (!(await isExecutable(python)) || !(await isExecutable(join(venv, 'bin', 'schemathesis')))) {
    return undefined;
  }
  const script = 'import importlib.metadata as m; print(m.version("schemathesis"))';
  const result = await run(python, ['-c', script], { timeoutMs: 30_000 });
  return result.code === 0 ? result.stdout.trim() : undefined;
}

async function createVenv(ctx: InfraContext, venv: string, logFile: string): Promise<void> {
  const python = await ensureExecutable(ctx, 'schemathesis', 'python3', 'python3', ['/usr/bin']);
  const env = ctx.config.baseEnv;
  if ((await run(python, ['-m', 'venv', '--clear', venv], { env, logFile })).code === 0) return;
  // Debian ships the venv module separately.
  await aptInstall(ctx, 'schemathesis', ['python3-venv']);
  await runOrThrow(python, ['-m', 'venv', '--clear', venv], { env, logFile });
}

/**
 * The path of the `schemathesis` program, pinned to {@link SCHEMATHESIS_VERSION}: installed from PyPI into
 * a virtualenv of the tools cache the first time (about 30 s), reused by every clone after that.
 */
export async function ensureSchemathesis(ctx: InfraContext): Promise<string> {
  const venv = schemathesisVenv(ctx);
  const program = join(venv, 'bin', 'schemathesis');
  if ((await installedVersion(venv)) === SCHEMATHESIS_VERSION) return program;
  const logFile = join(ctx.config.logsDir, 'schemathesis-install.log');
  const progress = (message: string) => ctx.progress('schemathesis', message);
  const install = async () => {
    // Another process may have finished the same install while this one waited for the lock.
    if ((await installedVersion(venv)) === SCHEMATHESIS_VERSION) return;
    await rm(venv, { recursive: true, force: true });
    await createVenv(ctx, venv, logFile);
    const pip = join(venv, 'bin', 'pip');
    const args = [
      'install',
      '--disable-pip-version-check',
      '--no-input',
      `schemathesis==${SCHEMATHESIS_VERSION}`,
    ];
    await runOrThrow(pip, args, { env: ctx.config.baseEnv, logFile, timeoutMs: 900_000 });
  };
  const what = `installing schemathesis ${SCHEMATHESIS_VERSION}`;
  await withHeartbeat(
    progress,
    what,
    // Test files and `npm run tools` may ask at once: one installs, the others wait for it.
    withInfraLock(`${venv}.lock`, (holder) => progress(`waiting for pid ${holder} to install it`), install),
    ` from PyPI into ${venv} (first time only)`,
  ).catch((error: Error) => {
    throw new ComponentError('schemathesis', `could not install schemathesis: ${error.message}`);
  });
  if ((await installedVersion(venv)) !== SCHEMATHESIS_VERSION) {
    throw new ComponentError(
      'schemathesis',
      `schemathesis ${SCHEMATHESIS_VERSION} is not runnable in ${venv}`,
    );
  }
  return program;
}
