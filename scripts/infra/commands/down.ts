import { rm } from 'node:fs/promises';
import { postgresFallbackHome } from '../components/postgres.js';
import type { InfraConfig } from '../config.js';
import { loadContext } from '../context.js';
import { stopLocal } from '../lifecycle.js';
import { componentLine, seconds, symbols } from '../output.js';
import { readLiveRecord } from '../processes.js';
import { ALL_COMPONENTS } from '../registry.js';

/**
 * `infra down`: stops, in reverse start order, only the servers a previous `up` started (pid files
 * in `.data/run/`), and waits for them to exit. Data stays unless `purge` is set. With `only`, stops
 * just those components.
 */
export async function infraDown(config: InfraConfig, purge: boolean, only: string[] = []): Promise<number> {
  const { ctx } = await loadContext(config, false);
  let failed = 0;
  for (const component of [...ALL_COMPONENTS].reverse()) {
    if (only.length > 0 && !only.includes(component.name)) continue;
    const record = await readLiveRecord(config.runDir, component.name);
    if (!record) {
      await component.afterStop?.(ctx);
      console.log(componentLine(symbols.stopped, component.name, 'not running'));
      continue;
    }
    const began = Date.now();
    try {
      await stopLocal(component, ctx, record);
      console.log(
        componentLine(
          symbols.ok,
          component.name,
          'stopped',
          `pid ${record.pid}`,
          seconds(Date.now() - began),
        ),
      );
    } catch (error) {
      failed++;
      console.log(componentLine(symbols.fail, component.name, 'could not stop', (error as Error).message));
    }
  }
  if (purge && failed === 0) {
    await rm(config.dataDir, { recursive: true, force: true });
    await rm(postgresFallbackHome(config), { recursive: true, force: true });
    console.log(`removed ${config.dataDir}`);
  }
  return failed === 0 ? 0 : 1;
}
