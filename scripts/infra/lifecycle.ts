import { type Component, ComponentError, existingServerHint, type InfraContext } from './component.js';
import { seconds } from './output.js';
import { isPortOpen, waitUntil } from './probes.js';
import {
  isAlive,
  type PidRecord,
  readLiveRecord,
  removePidRecord,
  spawnDetached,
  stopProcessGroup,
  tailFile,
  writePidRecord,
} from './processes.js';
import { maskUrl, sameServer } from './urls.js';

/** How `up` provided a component. */
export type Provision = 'started' | 'reused' | 'external';

export interface Provided {
  state: Provision;
  url: string;
}

async function assertPortsFree(component: Component, ctx: InfraContext): Promise<void> {
  for (const port of component.ports(ctx)) {
    if (await isPortOpen(ctx.config.host, port)) {
      throw new ComponentError(
        component.name,
        `port ${port} on ${ctx.config.host} is in use by a process this script did not start`,
        existingServerHint(component),
      );
    }
  }
}

async function start(component: Component, ctx: InfraContext): Promise<void> {
  const { config } = ctx;
  await assertPortsFree(component, ctx);
  await component.install(ctx);
  const spec = await component.prepare(ctx);
  const pid = await spawnDetached(spec).catch((error: Error) => {
    throw new ComponentError(component.name, `could not start ${spec.command}: ${error.message}`);
  });
  const record = {
    pid,
    command: spec.command,
    ports: component.ports(ctx),
    startedAt: new Date().toISOString(),
    ...(component.signature && { signature: component.signature(ctx) }),
  };
  await writePidRecord(config.runDir, component.name, record);
  const isStarted = component.isStarted ?? ((c: InfraContext) => component.isReady(c, component.localUrl(c)));
  const exited = () => (isAlive(pid) ? undefined : 'exited');
  let answered: boolean;
  try {
    answered = await waitUntil(() => isStarted(ctx), { timeoutMs: component.startTimeoutMs, giveUp: exited });
  } catch {
    await removePidRecord(config.runDir, component.name);
    const tail = await tailFile(spec.logFile);
    throw new ComponentError(
      component.name,
      `exited during start-up (log ${spec.logFile}):\n    ${tail.replaceAll('\n', '\n    ')}`,
    );
  }
  if (!answered) {
    await stopLocal(component, ctx, record);
    throw new ComponentError(
      component.name,
      `did not answer within ${seconds(component.startTimeoutMs)} (log ${spec.logFile}); stopped it again`,
    );
  }
  await component.initialize?.(ctx);
  if (!(await component.isReady(ctx, component.localUrl(ctx)))) {
    throw new ComponentError(
      component.name,
      `started but does not accept its credentials (log ${spec.logFile})`,
    );
  }
}

/**
 * Provides one component: an external server named in the environment, our own server from a
 * previous `up` (reused), or a freshly installed and started one.
 */
export async function provide(component: Component, ctx: InfraContext): Promise<Provided> {
  const { config } = ctx;
  const local = component.localUrl(ctx);
  const given = component.acceptsExternal
    ? config.urls[component.urlVar as keyof typeof config.urls]
    : undefined;
  const record = await readLiveRecord(config.runDir, component.name);
  if (given && !sameServer(given, local)) {
    if (await component.isReady(ctx, given)) return { state: 'external', url: given };
    throw new ComponentError(
      component.name,
      `${component.urlVar} points at ${maskUrl(given)}, which does not answer (or refuses its credentials)`,
      `start that server, fix ${component.urlVar}, or unset it to run a local one`,
    );
  }
  if (given && !record && (await component.isReady(ctx, given))) return { state: 'external', url: given };
  const signature = component.signature?.(ctx);
  if (record && record.ports.join() !== component.ports(ctx).join()) {
    ctx.progress(component.name, `ports changed (${record.ports.join(', ')}); restarting it`);
    await stopLocal(component, ctx, record);
  } else if (record && signature !== undefined && record.signature !== signature) {
    ctx.progress(component.name, `its settings changed (now ${signature}); restarting it`);
    await stopLocal(component, ctx, record);
  } else if (record) {
    const ready = () => component.isReady(ctx, local);
    if (await waitUntil(ready, { timeoutMs: 15_000, intervalMs: 500 })) {
      await component.refresh?.(ctx, record);
      return { state: 'reused', url: local };
    }
    ctx.progress(component.name, `our server (pid ${record.pid}) does not answer; restarting it`);
    await stopLocal(component, ctx, record);
  }
  await start(component, ctx);
  return { state: 'started', url: local };
}

/** Stops a server this script started and waits until its whole process group has exited. */
export async function stopLocal(component: Component, ctx: InfraContext, record: PidRecord): Promise<void> {
  if (component.stop) await component.stop(ctx, record);
  await stopProcessGroup(record.pid, component.stopSignal ?? 'SIGTERM', 30_000);
  await removePidRecord(ctx.config.runDir, component.name);
  await component.afterStop?.(ctx);
}
