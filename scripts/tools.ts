/**
 * Deployment tools built from the Go module proxy into the tools cache (`FLOTILLA_TOOLS_DIR`,
 * default ~/.cache/flotilla), reused by every clone:
 *
 *   npm run tools                 build what is missing (helm, docker-compose, jaeger, schemathesis), print their paths
 *   npm run tools -- helm         only helm
 *
 * Helm renders and lints deploy/helm/flotilla; docker-compose (Compose v5, standalone) validates the
 * compose files with `config`, which needs no Docker engine; Jaeger receives the traces of
 * `--observability` and of the tracing tests; Schemathesis (from PyPI, in a virtualenv) fuzzes the services'
 * OpenAPI documents. The tests use the same builds (a test that needs a tool
 * another process is building waits for that build).
 */
import { loadInfraConfig } from './infra/config.js';
import { loadContext } from './infra/context.js';
import { DEPLOY_TOOLS, type DeployToolName, ensureDeployTool } from './infra/install/deploy-tools.js';
import { ensureJaeger } from './infra/install/jaeger.js';
import { ensureSchemathesis } from './infra/install/schemathesis.js';

type ToolName = DeployToolName | 'jaeger' | 'schemathesis';
const names: ToolName[] = [...(Object.keys(DEPLOY_TOOLS) as DeployToolName[]), 'jaeger', 'schemathesis'];
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !names.includes(name as ToolName));
if (unknown.length > 0) {
  console.error(`unknown tool ${unknown.join(', ')}; usage: npm run tools -- [${names.join(' | ')}]...`);
  process.exit(2);
}
const { ctx } = await loadContext(loadInfraConfig(), false);
let failed = false;
for (const name of wanted.length > 0 ? (wanted as ToolName[]) : names) {
  try {
    const path =
      name === 'jaeger'
        ? await ensureJaeger(ctx)
        : name === 'schemathesis'
          ? await ensureSchemathesis(ctx)
          : await ensureDeployTool(ctx, name);
    console.log(`${name.padEnd(8)} ${path}`);
  } catch (error) {
    failed = true;
    console.error(`${name.padEnd(8)} ${(error as Error).message}`);
  }
}
process.exitCode = failed ? 1 : 0;
