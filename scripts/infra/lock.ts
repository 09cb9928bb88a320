import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from './processes.js';

const WAIT_LIMIT_MS = 15 * 60_000;

async function tryAcquire(path: string): Promise<number | undefined> {
  // Write the pid first, then link the file into place: the lock never exists without its owner.
  const staged = `${path}.${process.pid}`;
  await writeFile(staged, String(process.pid));
  try {
    await link(staged, path);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return Number(await readFile(path, 'utf8').catch(() => '0')) || 0;
  } finally {
    await rm(staged, { force: true });
  }
}

/**
 * Runs `work` while holding `.data/run/infra.lock`, so that two `up`/`down` commands (say the
 * launcher and the test runner) never start or stop the same servers at once. A lock left by a
 * process that is gone is taken over.
 */
export async function withInfraLock<T>(
  runDir: string,
  onWait: (holder: number) => void,
  work: () => Promise<T>,
): Promise<T> {
  await mkdir(runDir, { recursive: true });
  const path = join(runDir, 'infra.lock');
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let announced = false;
  for (;;) {
    const holder = await tryAcquire(path);
    if (holder === undefined) break;
    if (!holder || !isAlive(holder)) {
      await rm(path, { force: true });
      continue;
    }
    if (!announced) onWait(holder);
    announced = true;
    if (Date.now() > deadline) throw new Error(`another infra command (pid ${holder}) still holds ${path}`);
    await sleep(500);
  }
  try {
    return await work();
  } finally {
    await rm(path, { force: true });
  }
}
