import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

async function findChromium(): Promise<string | undefined> {
  for (const path of CANDIDATES) {
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return undefined;
}

/**
 * The path of Debian's `chromium`, installed with apt-get when missing (as root, like the
 * infrastructure script installs its servers); fails with the command to run otherwise.
 */
export async function ensureChromium(): Promise<string> {
  const found = await findChromium();
  if (found) return found;
  if (process.getuid?.() !== 0)
    throw new Error('chromium is not installed: run sudo apt-get install -y chromium');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const policy = await run('apt-cache', ['policy', 'chromium'], { env }).catch(() => ({ stdout: '' }));
  if (!/Candidate: (?!\(none\))/.test(policy.stdout)) await run('apt-get', ['update', '-q'], { env });
  await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  const installed = await findChromium();
  if (!installed) throw new Error('chromium was installed but its executable is missing');
  return installed;
}
