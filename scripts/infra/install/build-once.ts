import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link buildOnce}. */
export interface BuildOnceOptions {
  /** Whether the tool in the cache is already the wanted one (checked again after waiting). */
  isCurrent: () => Promise<boolean>;
  /** Builds the tool into the cache. */
  build: () => Promise<void>;
  /** Called once when another process is found building the same tool. */
  onWait?: (pid: number) => void;
  /** How long to wait for another process's build before giving up; 45 minutes by default. */
  maxWaitMs?: number;
  /** Interval of the checks while waiting; 2 s by default. */
  pollMs?: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holderOf(lockFile: string): Promise<number | undefined> {
  const text = await readFile(lockFile, 'utf8').catch(() => undefined);
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Builds a tool of the shared tools cache at most once at a time across processes (a CI run builds the
 * slow ones in the background while tests that need them may start): the builder holds `<binary>.lock`
 * (created exclusively, holding its pid); another process waits for it, then uses what it built. A lock
 * left by a process that died is taken over.
 */
export async function buildOnce(binary: string, options: BuildOnceOptions): Promise<void> {
  const lockFile = `${binary}.lock`;
  const deadline = Date.now() + (options.maxWaitMs ?? 45 * 60_000);
  let announced = false;
  let emptySince: number | undefined;
  await mkdir(dirname(binary), { recursive: true });
  for (;;) {
    if (await options.isCurrent()) return;
    const handle = await open(lockFile, 'wx').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return undefined;
      throw error;
    });
    if (handle) {
      try {
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        if (!(await options.isCurrent())) await options.build();
        return;
      } finally {
        await rm(lockFile, { force: true });
      }
    }
    const pid = await holderOf(lockFile);
    if (pid === undefined) {
      // Its creator is still writing its pid, or died before it could: empty for long means the latter.
      emptySince ??= Date.now();
      if (Date.now() - emptySince > 5000) {
        await rm(lockFile, { force: true });
        emptySince = undefined;
      }
      await sleep(200);
      continue;
    }
    emptySince = undefined;
    if (!isAlive(pid)) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (!announced) {
      announced = true;
      options.onWait?.(pid);
    }
    if (Date.now() > deadline) throw new Error(`process ${pid} has been building ${binary} for too long`);
    await sleep(options.pollMs ?? 2000);
  }
}
