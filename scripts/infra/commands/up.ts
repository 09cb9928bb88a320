import { type Component, ComponentError, existingServerHint } from '../component.js';
import type { InfraConfig } from '../config.js';
import { loadContext } from '../context.js';
import { infraEnvPath, writeInfraEnv } from '../env-file.js';
import { provide } from '../lifecycle.js';
import { componentLine, seconds, symbols } from '../output.js';
import { COMPONENTS, OBSERVABILITY_COMPONENTS } from '../registry.js';
import { maskUrl } from '../urls.js';

/**
 * `infra up`: provides every component in parallel (external, reused or started), a component
 * waiting only for those it needs (`after`), then writes the resolved URLs to `.data/infra.env`.
 * With `observability`, Jaeger, the exporters and Prometheus too. Returns the exit code: 1 when any
 * component is missing.
 */
export async function infraUp(config: InfraConfig, observability = false): Promise<number> {
  const components = observability ? [...COMPONENTS, ...OBSERVABILITY_COMPONENTS] : COMPONENTS;
  const startedAt = Date.now();
  const { ctx, envFile } = await loadContext(config, true);
  ctx.observability = observability;
  const failures: ComponentError[] = [];
  const provided = new Map<string, Promise<boolean>>();

  async function provideOne(component: Component): Promise<boolean> {
    const began = Date.now();
    try {
      const missing: string[] = [];
      for (const name of component.after ?? []) if (!(await provided.get(name))) missing.push(name);
      if (missing.length > 0) {
        throw new ComponentError(component.name, `needs ${missing.join(', ')}, which could not be provided`);
      }
      const { state, url } = await provide(component, ctx);
      const version = await component.version(ctx, url).catch(() => 'version unknown');
      envFile[component.urlVar] = url;
      for (const [key, value] of Object.entries(component.extraEnv?.(ctx, state === 'external') ?? {})) {
        if (value === undefined) delete envFile[key];
        else envFile[key] = value;
      }
      const label = `running (${state})`;
      console.log(
        componentLine(symbols.ok, component.name, label, maskUrl(url), version, seconds(Date.now() - began)),
      );
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const hint = (error instanceof ComponentError && error.hint) || existingServerHint(component);
      const failure = new ComponentError(component.name, message, hint);
      failures.push(failure);
      delete envFile[component.urlVar];
      console.log(
        componentLine(symbols.fail, component.name, 'not available', failure.message.split('\n')[0] ?? ''),
      );
      return false;
    }
  }

  // Every promise is registered before any awaits a prerequisite; `after` names earlier components.
  for (const component of components) provided.set(component.name, provideOne(component));
  await Promise.all(provided.values());
  await writeInfraEnv(config.repoRoot, envFile);
  if (failures.length === 0) {
    console.log(
      `infrastructure up in ${seconds(Date.now() - startedAt)}; URLs in ${infraEnvPath(config.repoRoot)}`,
    );
    return 0;
  }
  console.error(`\n${failures.length} component(s) could not be provided:`);
  for (const failure of failures) {
    console.error(
      `  ${failure.component}: ${failure.message}${failure.hint ? `\n    → ${failure.hint}` : ''}`,
    );
  }
  return 1;
}
