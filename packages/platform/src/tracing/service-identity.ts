import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

/** Who a process is, for the trace resource and error reports. */
export interface ServiceIdentity {
  /** `api`, `worker`, ... (the package name without its `@flotilla/` scope). */
  service: string;
  version: string;
  instanceId: string;
}

/**
 * Finds the service a process runs from the nearest `package.json` above its main script
 * (`services/api/src/main.ts` or `services/api/dist/main.js` -> `@flotilla/api`), so the bootstrap,
 * loaded before any service code, needs no variable naming the service.
 */
export function identifyService(mainScript: string | undefined, instanceId?: string): ServiceIdentity {
  const fallbackInstance = `${hostname()}-${process.pid}`;
  let dir = mainScript ? dirname(mainScript) : process.cwd();
  for (let depth = 0; depth < 6; depth += 1) {
    try {
      const raw = readFileSync(join(dir, 'package.json'), 'utf8');
      const { name, version } = JSON.parse(raw) as { name?: string; version?: string };
      if (name) {
        return {
          service: name.replace(/^@[^/]+\//, ''),
          version: version ?? '0.0.0',
          instanceId: instanceId ?? fallbackInstance,
        };
      }
    } catch {
      // No package.json here: look one level up.
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { service: 'unknown', version: '0.0.0', instanceId: instanceId ?? fallbackInstance };
}
