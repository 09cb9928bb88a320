import { join } from 'node:path';
import { ComponentError, type InfraContext } from '../component.js';
import { isExecutable, run } from '../exec.js';
import { withHeartbeat } from '../output.js';
import { buildOnce } from './build-once.js';
import { buildGoProgram, type GoProgram } from './go-build.js';

/** A deployment tool: a Go program, the file it becomes, and how it reports its version. */
interface DeployTool {
  program: GoProgram;
  binaryName: string;
  /** Arguments that print the version, and a pattern whose first group is it (with its `v`). */
  versionArgs: string[];
  versionPattern: RegExp;
}

/** Helm v4, for `helm lint` and `helm template` of deploy/helm/flotilla. */
export const HELM_VERSION = 'v4.3.2';
/** Docker Compose v5 (standalone), for `docker compose config` without an engine. */
export const COMPOSE_VERSION = 'v5.6.0';

export const DEPLOY_TOOLS = {
  helm: {
    program: {
      module: 'helm.sh/helm/v4',
      version: HELM_VERSION,
      mainPackage: './cmd/helm',
      ldflags: [`-X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}`],
    },
    binaryName: 'helm',
    versionArgs: ['version', '--template', '{{.Version}}'],
    versionPattern: /^(v\d+\.\d+\.\d+)/,
  },
  compose: {
    program: {
      module: 'github.com/docker/compose/v5',
      version: COMPOSE_VERSION,
      mainPackage: './cmd',
      ldflags: [`-X github.com/docker/compose/v5/internal.Version=${COMPOSE_VERSION}`],
    },
    binaryName: 'docker-compose',
    versionArgs: ['version', '--short'],
    versionPattern: /^v?(\d+\.\d+\.\d+)/,
  },
} satisfies Record<string, DeployTool>;

export type DeployToolName = keyof typeof DEPLOY_TOOLS;

async function installedVersion(tool: DeployTool, binary: string): Promise<string | undefined> {
  if (!(await isExecutable(binary))) return undefined;
  const result = await run(binary, tool.versionArgs, { timeoutMs: 20_000 });
  const found = result.code === 0 ? tool.versionPattern.exec(result.stdout.trim())?.[1] : undefined;
  return found === undefined ? undefined : `v${found.replace(/^v/, '')}`;
}

/**
 * Path of `name` (helm or docker-compose) of the pinned version in the tools cache
 * (`FLOTILLA_TOOLS_DIR/bin`), built from the Go module proxy the first time (a few minutes).
 */
export async function ensureDeployTool(ctx: InfraContext, name: DeployToolName): Promise<string> {
  const tool: DeployTool = DEPLOY_TOOLS[name];
  const binary = join(ctx.config.toolsDir, 'bin', tool.binaryName);
  const wanted = tool.program.version;
  if ((await installedVersion(tool, binary)) === wanted) return binary;
  const logFile = join(ctx.config.logsDir, `${tool.binaryName}-build.log`);
  await withHeartbeat(
    (message) => ctx.progress(name, message),
    `building ${tool.binaryName} ${wanted}`,
    buildOnce(binary, {
      isCurrent: async () => (await installedVersion(tool, binary)) === wanted,
      build: () => buildGoProgram(ctx, name, tool.program, binary, logFile),
      onWait: (pid) => ctx.progress(name, `waiting for process ${pid}, which is building it`),
    }),
    ` from the Go module proxy into ${binary} (first time only, a few minutes; log ${logFile})`,
  ).catch((error: Error) => {
    throw new ComponentError(name, `could not build ${tool.binaryName}: ${error.message}`);
  });
  const version = await installedVersion(tool, binary);
  if (version !== wanted) {
    throw new ComponentError(
      name,
      `the ${tool.binaryName} built in ${binary} reports version ${version ?? 'none'}`,
    );
  }
  return binary;
}
