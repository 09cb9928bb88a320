import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Component, ComponentError, type InfraContext } from '../component.js';
import { run } from '../exec.js';
import { ensureGatewayTracingModules, gatewayTracingConfig } from '../gateway-tracing.js';
import { renderTemplateFile, writeIfChanged } from '../generated-files.js';
import { ensureExecutable } from '../install/apt.js';
import { httpGet } from '../probes.js';

interface GatewayFiles {
  prefix: string;
  mainConfig: string;
  errorLog: string;
  files: Record<string, string>;
}

/** Renders the nginx templates of `infrastructure/nginx/` for the native gateway under `.data/nginx/`. */
async function renderGateway(ctx: InfraContext): Promise<GatewayFiles> {
  const { config } = ctx;
  const templates = join(config.repoRoot, 'infrastructure', 'nginx');
  const prefix = join(config.dataDir, 'nginx');
  const confDir = join(prefix, 'conf.d');
  const modulesDir = join(prefix, 'modules.d');
  const mainConfig = join(prefix, 'nginx.conf');
  const errorLog = join(config.logsDir, 'nginx-error.log');
  const values = {
    GATEWAY_MAX_BODY_SIZE: config.gateway.maxBodySize,
    GATEWAY_AUTH_RATE: config.gateway.authRate,
    GATEWAY_AUTH_BURST: config.gateway.authBurst,
    GATEWAY_LISTEN: `${config.host}:${config.ports.gateway}`,
    API_HOST: config.apiHost,
    API_PORT: config.ports.api,
    BOT_HOST: config.botHost,
    BOT_PORT: config.ports.bot,
    GATEWAY_ACCESS_LOG: join(config.logsDir, 'nginx-access.log'),
    NGINX_PID_FILE: join(prefix, 'nginx.pid'),
    NGINX_ERROR_LOG: errorLog,
    NGINX_TEMP_DIR: join(prefix, 'tmp'),
    NGINX_CONF_DIR: confDir,
    NGINX_MODULES_DIR: modulesDir,
  };
  const tracing = ctx.observability
    ? gatewayTracingConfig(config.repoRoot, {
        otlpUrl: `http://${config.host}:${config.ports.jaegerOtlp}`,
        sampleRatio: config.gateway.traceSampleRatio,
        instance: hostname(),
        environment: 'development',
      })
    : { modules: '', http: '' };
  return {
    prefix,
    mainConfig,
    errorLog,
    files: {
      [mainConfig]: await renderTemplateFile(join(templates, 'nginx.conf.template'), values),
      [join(confDir, 'gateway.conf')]: await renderTemplateFile(
        join(templates, 'templates', 'gateway.conf.template'),
        values,
      ),
      // Empty without `--observability`: a later plain `up` turns the gateway's tracing off again.
      [join(modulesDir, 'tracing.conf')]: tracing.modules,
      [join(confDir, 'tracing.conf')]: tracing.http,
    },
  };
}

/** Writes the rendered files; returns whether any changed. */
async function writeGateway(gateway: GatewayFiles): Promise<boolean> {
  await mkdir(join(gateway.prefix, 'conf.d'), { recursive: true });
  await mkdir(join(gateway.prefix, 'modules.d'), { recursive: true });
  await mkdir(join(gateway.prefix, 'tmp'), { recursive: true });
  let changed = false;
  for (const [path, text] of Object.entries(gateway.files)) {
    if (await writeIfChanged(path, text)) changed = true;
  }
  return changed;
}

const nginxBinary = (ctx: InfraContext) => ensureExecutable(ctx, 'nginx', 'nginx', 'nginx', ['/usr/sbin']);

/** With `--observability`, the gateway's tracing needs nginx's Lua module (Debian packages). */
async function ensureTracingModules(ctx: InfraContext): Promise<void> {
  if (ctx.observability) await ensureGatewayTracingModules(ctx);
}

async function testConfig(ctx: InfraContext, gateway: GatewayFiles): Promise<void> {
  const args = ['-t', '-q', '-p', gateway.prefix, '-c', gateway.mainConfig, '-e', gateway.errorLog];
  const result = await run(await nginxBinary(ctx), args, { env: ctx.config.baseEnv });
  if (result.code !== 0) {
    throw new ComponentError('nginx', `the generated config is invalid:\n    ${result.stderr.trim()}`);
  }
}

/**
 * The nginx gateway in front of the api (and the bot's webhook): config rendered from `infrastructure/nginx/` templates,
 * run in the foreground with everything under `.data/nginx/`.
 */
export const nginx: Component = {
  name: 'nginx',
  urlVar: 'GATEWAY_URL',
  acceptsExternal: false,
  portVars: ['GATEWAY_PORT'],
  startTimeoutMs: 30_000,
  stopSignal: 'SIGQUIT',
  ports: (ctx) => [ctx.config.ports.gateway],
  localUrl: (ctx) => `http://${ctx.config.host}:${ctx.config.ports.gateway}`,
  isReady: async (_ctx, url) => {
    const health = await httpGet(`${url}/health`).catch(() => undefined);
    return health?.status === 200 && (health.body as { status?: string } | undefined)?.status === 'ok';
  },
  version: async (ctx) => {
    const { stderr } = await run(await nginxBinary(ctx), ['-v']);
    return /nginx\/\S+/.exec(stderr)?.[0] ?? 'nginx';
  },
  install: async (ctx) => {
    await nginxBinary(ctx);
    await ensureTracingModules(ctx);
  },
  prepare: async (ctx) => {
    const gateway = await renderGateway(ctx);
    await writeGateway(gateway);
    await testConfig(ctx, gateway);
    return {
      command: await nginxBinary(ctx),
      args: ['-p', gateway.prefix, '-c', gateway.mainConfig, '-e', gateway.errorLog],
      env: ctx.config.baseEnv,
      cwd: gateway.prefix,
      logFile: join(ctx.config.logsDir, 'nginx.log'),
    };
  },
  refresh: async (ctx, record) => {
    await ensureTracingModules(ctx);
    const gateway = await renderGateway(ctx);
    if (!(await writeGateway(gateway))) return;
    await testConfig(ctx, gateway);
    ctx.progress('nginx', 'config changed; reloading');
    process.kill(record.pid, 'SIGHUP');
  },
};
