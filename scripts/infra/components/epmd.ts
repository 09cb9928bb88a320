import { join } from 'node:path';
import type { InfraContext } from '../component.js';
import { findExecutable, run } from '../exec.js';
import { isPortOpen, waitUntil } from '../probes.js';
import {
  readLiveRecord,
  removePidRecord,
  spawnDetached,
  stopProcessGroup,
  writePidRecord,
} from '../processes.js';

/** The Erlang port mapper RabbitMQ's node registers with; one per machine, shared by all nodes. */
const EPMD_PORT = 4369;
const NAME = 'epmd';

async function epmdBinary(ctx: InfraContext): Promise<string> {
  return (
    (await findExecutable('epmd', ctx.config.baseEnv.PATH, ['/usr/bin', '/usr/lib/erlang/bin'])) ?? 'epmd'
  );
}

/** Starts epmd on loopback unless one already runs (then it is shared, and never stopped by us). */
export async function ensureEpmd(ctx: InfraContext): Promise<void> {
  const { config } = ctx;
  if (await isPortOpen(config.host, EPMD_PORT)) return;
  const command = await epmdBinary(ctx);
  const pid = await spawnDetached({
    command,
    args: ['-address', config.host],
    env: config.baseEnv,
    cwd: config.dataDir,
    logFile: join(config.logsDir, 'epmd.log'),
  });
  await writePidRecord(config.runDir, NAME, {
    pid,
    command,
    ports: [EPMD_PORT],
    startedAt: new Date().toISOString(),
  });
  await waitUntil(() => isPortOpen(config.host, EPMD_PORT), { timeoutMs: 10_000 });
}

/** Stops the epmd this script started, once no node is registered with it any more. */
export async function stopEpmdIfOurs(ctx: InfraContext): Promise<void> {
  const { config } = ctx;
  const record = await readLiveRecord(config.runDir, NAME);
  if (!record) return;
  const names = await run(await epmdBinary(ctx), ['-names'], { env: config.baseEnv, timeoutMs: 5000 });
  if (/^name /m.test(names.stdout)) return;
  await stopProcessGroup(record.pid, 'SIGTERM', 5000);
  await removePidRecord(config.runDir, NAME);
}
