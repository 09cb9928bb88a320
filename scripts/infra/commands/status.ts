import type { InfraConfig } from '../config.js';
import { loadContext } from '../context.js';
import { componentLine, symbols } from '../output.js';
import { readLiveRecord } from '../processes.js';
import { COMPONENTS, OBSERVABILITY_COMPONENTS } from '../registry.js';
import { maskUrl, sameServer } from '../urls.js';

/**
 * `infra status`: one line per component with its state (running/ours, running/external,
 * stopped), its URL (password masked) and the version the server reports.
 * The optional observability components are listed only when running. Returns 0 when every
 * required component runs, 3 otherwise.
 */
export async function infraStatus(config: InfraConfig): Promise<number> {
  const { ctx, envFile } = await loadContext(config, false);
  const lines = await Promise.all(
    [...COMPONENTS, ...OBSERVABILITY_COMPONENTS].map(async (component) => {
      const optional = OBSERVABILITY_COMPONENTS.includes(component);
      const record = await readLiveRecord(config.runDir, component.name);
      const local = component.localUrl(ctx);
      const given = component.acceptsExternal
        ? config.urls[component.urlVar as keyof typeof config.urls]
        : undefined;
      const external = given !== undefined && !sameServer(given, local);
      const ours = record !== undefined && !external;
      const url = external ? given : ours ? local : (given ?? envFile[component.urlVar] ?? local);
      const ready = await component.isReady(ctx, url).catch(() => false);
      if (!ready) {
        const state = ours ? `not answering (pid ${record.pid})` : 'stopped';
        return {
          running: optional,
          hidden: optional,
          line: componentLine(symbols.stopped, component.name, state, maskUrl(url)),
        };
      }
      const version = await component.version(ctx, url).catch(() => 'version unknown');
      const state = ours ? 'running/ours' : 'running/external';
      return {
        running: true,
        hidden: false,
        line: componentLine(symbols.ok, component.name, state, maskUrl(url), version),
      };
    }),
  );
  for (const { line, hidden } of lines) if (!hidden) console.log(line);
  return lines.every(({ running }) => running) ? 0 : 3;
}
