import { mkdir } from 'node:fs/promises';
import type { InfraContext } from './component.js';
import type { InfraConfig } from './config.js';
import { readInfraEnv, writeInfraEnv } from './env-file.js';
import { symbols } from './output.js';
import { resolveSecrets, secretEntries } from './secrets.js';

/** The context of one command, with the current contents of `.data/infra.env`. */
export interface LoadedContext {
  ctx: InfraContext;
  envFile: Record<string, string>;
}

const printProgress = (component: string, message: string) =>
  console.log(`${symbols.progress} ${component.padEnd(9)} ${message}`);

/**
 * Builds the context of a command. With `persistSecrets`, missing secrets are generated and saved
 * before anything starts, so a server never holds a password that is not on disk.
 */
export async function loadContext(config: InfraConfig, persistSecrets: boolean): Promise<LoadedContext> {
  const envFile = await readInfraEnv(config.repoRoot);
  const secrets = resolveSecrets(envFile);
  if (persistSecrets) {
    await mkdir(config.dataDir, { recursive: true, mode: 0o755 });
    await mkdir(config.runDir, { recursive: true });
    await mkdir(config.logsDir, { recursive: true });
    Object.assign(envFile, secretEntries(secrets));
    await writeInfraEnv(config.repoRoot, envFile);
  }
  return { ctx: { config, secrets, progress: printProgress }, envFile };
}
