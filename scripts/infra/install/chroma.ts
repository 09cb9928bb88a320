import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ComponentError, type InfraContext } from '../component.js';
import { isExecutable, run, runOrThrow } from '../exec.js';
import { withHeartbeat } from '../output.js';
import { aptInstall, ensureExecutable } from './apt.js';

/** The ChromaDB server release, pinned to what the JS client of the services speaks. */
export const CHROMA_VERSION = '1.5.9';

/** The virtualenv in the shared tools cache that holds the Chroma server. */
export function chromaVenv(ctx: InfraContext): string {
  return join(ctx.config.toolsDir, 'chroma-venv');
}

async function installedVersion(venv: string): Promise<string | undefined> {
  const python = join(venv, 'bin', 'python');
  if (!(await isExecutable(python)) || !(await isExecutable(join(venv, 'bin', 'chroma')))) return undefined;
  const script = 'import importlib.metadata as m; print(m.version("chromadb"))';
  const result = await run(python, ['-c', script], { timeoutMs: 30_000 });
  return result.code === 0 ? result.stdout.trim() : undefined;
}

async function createVenv(ctx: InfraContext, venv: string, logFile: string): Promise<void> {
  const python = await ensureExecutable(ctx, 'chroma', 'python3', 'python3', ['/usr/bin']);
  const env = ctx.config.baseEnv;
  if ((await run(python, ['-m', 'venv', '--clear', venv], { env, logFile })).code === 0) return;
  // Debian ships the venv module separately.
  await aptInstall(ctx, 'chroma', ['python3-venv']);
  await runOrThrow(python, ['-m', 'venv', '--clear', venv], { env, logFile });
}

/** Makes sure the virtualenv has the pinned chromadb; creates it and installs from PyPI if not. */
export async function ensureChroma(ctx: InfraContext): Promise<string> {
  const venv = chromaVenv(ctx);
  const chroma = join(venv, 'bin', 'chroma');
  if ((await installedVersion(venv)) === CHROMA_VERSION) return chroma;
  const logFile = join(ctx.config.logsDir, 'chroma-install.log');
  const progress = (message: string) => ctx.progress('chroma', message);
  const install = async () => {
    await rm(venv, { recursive: true, force: true });
    await createVenv(ctx, venv, logFile);
    const pip = join(venv, 'bin', 'pip');
    const args = ['install', '--disable-pip-version-check', '--no-input', `chromadb==${CHROMA_VERSION}`];
    await runOrThrow(pip, args, { env: ctx.config.baseEnv, logFile, timeoutMs: 1_800_000 });
  };
  const what = `installing chromadb ${CHROMA_VERSION}`;
  await withHeartbeat(progress, what, install(), ` from PyPI into ${venv} (first time only)`).catch(
    (error: Error) => {
      throw new ComponentError('chroma', `could not install chromadb: ${error.message}`);
    },
  );
  if ((await installedVersion(venv)) !== CHROMA_VERSION) {
    throw new ComponentError('chroma', `chromadb ${CHROMA_VERSION} is not importable in ${venv}`);
  }
  return chroma;
}
