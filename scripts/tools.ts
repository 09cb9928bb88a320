/**
 * Deployment tools built from the Go module proxy into the tools cache (`FLOTILLA_TOOLS_DIR`,
 * default ~/.cache/flotilla), reused by every clone:
 *
 *   npm run tools                 build what is missing (helm, docker-compose), print their paths
 *   npm run tools -- helm         only helm
 *
 * Helm renders and lints deploy/helm/flotilla; docker-compose (Compose v5, standalone) validates the
 * compose files with `config`, which needs no Docker engine. The tests use the same builds.
 */
import { loadInfraConfig } from './infra/config.js';
import { loadContext } from './infra/context.js';
import { DEPLOY_TOOLS, type DeployToolName, ensureDeployTool } from './infra/install/deploy-tools.js';

const names = Object.keys(DEPLOY_TOOLS) as DeployToolName[];
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !names.includes(name as DeployToolName));
if (unknown.length > 0) {
  console.error(`unknown tool ${unknown.join(', ')}; usage: npm run tools -- [${names.join(' | ')}]...`);
  process.exit(2);
}
const { ctx } = await loadContext(loadInfraConfig(), false);
let failed = false;
for (const name of wanted.length > 0 ? (wanted as DeployToolName[]) : names) {
  try {
    console.log(`${name.padEnd(8)} ${await ensureDeployTool(ctx, name)}`);
  } catch (error) {
    failed = true;
    console.error(`${name.padEnd(8)} ${(error as Error).message}`);
  }
}
process.exitCode = failed ? 1 : 0;
