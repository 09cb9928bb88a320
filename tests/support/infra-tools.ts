import type { InfraContext } from '../../scripts/infra/component.js';
import { loadInfraConfig } from '../../scripts/infra/config.js';
import { ensureExecutable } from '../../scripts/infra/install/apt.js';
import { resolveSecrets } from '../../scripts/infra/secrets.js';

/**
 * A context for the infrastructure script's installers, so a test installs the tools it needs the
 * way `npm run infra -- up` does (Debian packages, builds into the tools cache) on a fresh machine.
 */
export function infraToolContext(): InfraContext {
  return {
    config: loadInfraConfig(),
    secrets: resolveSecrets({}),
    progress: (component, message) => process.stderr.write(`${component}: ${message}\n`),
  };
}

/** The path of a Debian-packaged program, installed with apt-get when missing (`promtool` from `prometheus`). */
export function ensureDebianTool(name: string, pkg: string): Promise<string> {
  return ensureExecutable(infraToolContext(), pkg, name, pkg, ['/usr/bin', '/usr/sbin']);
}
