import { join } from 'node:path';
import { ComponentError, type InfraContext } from '../component.js';
import { findExecutable, run, runOrThrow } from '../exec.js';
import { withHeartbeat } from '../output.js';

let queue: Promise<unknown> = Promise.resolve();
let listsUpdated = false;

/** Runs installs one after the other: dpkg holds a lock. */
function serialize<T>(work: () => Promise<T>): Promise<T> {
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

async function hasCandidate(pkg: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const result = await run('apt-cache', ['policy', pkg], { env });
  return result.code === 0 && /Candidate: (?!\(none\))/.test(result.stdout);
}

/**
 * Installs Debian packages with apt-get (as root, non-interactive), refreshing the package lists
 * once when a package is unknown. Output goes to `.data/logs/apt.log`.
 */
export function aptInstall(ctx: InfraContext, component: string, packages: string[]): Promise<void> {
  return serialize(async () => {
    const { config } = ctx;
    const command = `apt-get install -y ${packages.join(' ')}`;
    if (!config.isRoot) {
      throw new ComponentError(component, `${packages.join(', ')} not installed`, `run: sudo ${command}`);
    }
    if (!(await findExecutable('apt-get', config.baseEnv.PATH))) {
      throw new ComponentError(component, `${packages.join(', ')} not installed and apt-get not found`);
    }
    const env = { ...config.baseEnv, DEBIAN_FRONTEND: 'noninteractive' };
    const logFile = join(config.logsDir, 'apt.log');
    const progress = (message: string) => ctx.progress(component, message);
    if (!listsUpdated) {
      const known = await Promise.all(packages.map((pkg) => hasCandidate(pkg, env)));
      if (known.includes(false)) {
        await withHeartbeat(
          progress,
          'updating package lists (apt-get update)',
          run('apt-get', ['update'], { env, logFile }),
        );
        listsUpdated = true;
      }
    }
    await withHeartbeat(
      progress,
      `installing ${packages.join(', ')} with apt-get`,
      runOrThrow('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], {
        env,
        logFile,
      }),
    ).catch((error: Error) => {
      throw new ComponentError(component, `could not install ${packages.join(', ')}: ${error.message}`);
    });
  });
}

/** Finds an executable, installing `pkg` with apt-get when it is missing. */
export async function ensureExecutable(
  ctx: InfraContext,
  component: string,
  name: string,
  pkg: string,
  extraDirs: string[] = [],
): Promise<string> {
  const path = ctx.config.baseEnv.PATH;
  const found = await findExecutable(name, path, extraDirs);
  if (found) return found;
  await aptInstall(ctx, component, [pkg]);
  const installed = await findExecutable(name, `${path}:/usr/sbin:/usr/bin`, extraDirs);
  if (!installed)
    throw new ComponentError(component, `${pkg} was installed but \`${name}\` is still missing`);
  return installed;
}
