import { access, copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Component, ComponentError, type InfraContext } from '../component.js';
import { isExecutable, run, runOrThrow } from '../exec.js';
import { renderTemplateFile, writePrivateFile } from '../generated-files.js';
import { aptInstall } from '../install/apt.js';
import { httpGet, httpRequest } from '../probes.js';
import { waitForGroupExit } from '../processes.js';
import { generateSecret } from '../secrets.js';
import { amqpHandshake } from '../server-probes.js';
import { sameServer } from '../urls.js';
import { ensureEpmd, stopEpmdIfOurs } from './epmd.js';

const SBIN = '/usr/lib/rabbitmq/bin';
const USER = 'flotilla';
const LOOPBACK_DIST = '-kernel inet_dist_use_interface {127,0,0,1}';

const dir = (ctx: InfraContext) => join(ctx.config.dataDir, 'rabbitmq');
const managementUrl = (ctx: InfraContext) =>
  `http://${USER}:${ctx.secrets.rabbitmq}@${ctx.config.host}:${ctx.config.ports.rabbitmqManagement}`;

/** The environment of the node and of rabbitmqctl: own files only, never /etc/rabbitmq. */
function nodeEnv(ctx: InfraContext): NodeJS.ProcessEnv {
  const { config } = ctx;
  const base = dir(ctx);
  return {
    ...config.baseEnv,
    HOME: join(base, 'home'),
    RABBITMQ_NODENAME: config.rabbitmqNodeName,
    RABBITMQ_NODE_IP_ADDRESS: config.host,
    RABBITMQ_NODE_PORT: String(config.ports.rabbitmq),
    RABBITMQ_DIST_PORT: String(config.ports.rabbitmqDist),
    RABBITMQ_CONFIG_FILE: join(base, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, 'enabled_plugins'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(base, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: join(base, 'rabbitmq-env.conf'),
    RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
    RABBITMQ_LOG_BASE: join(config.logsDir, 'rabbitmq'),
    RABBITMQ_PID_FILE: join(base, 'node.pid'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: LOOPBACK_DIST,
    ERL_EPMD_ADDRESS: config.host,
    ERL_CRASH_DUMP: join(config.logsDir, 'rabbitmq-erl_crash.dump'),
  };
}

function ctl(ctx: InfraContext, args: string[], timeoutMs = 60_000): Promise<string> {
  const node = ctx.config.rabbitmqNodeName;
  return runOrThrow(join(SBIN, 'rabbitmqctl'), ['-n', node, ...args], { env: nodeEnv(ctx), timeoutMs });
}

/** The management URL matching an AMQP URL: ours for our server, else RABBITMQ_MANAGEMENT_URL. */
function managementFor(ctx: InfraContext, url: string): string | undefined {
  return sameServer(url, rabbitmq.localUrl(ctx))
    ? managementUrl(ctx)
    : ctx.config.urls.RABBITMQ_MANAGEMENT_URL;
}

async function prepare(ctx: InfraContext) {
  const { config } = ctx;
  const base = dir(ctx);
  const home = join(base, 'home');
  await mkdir(home, { recursive: true, mode: 0o700 });
  await mkdir(join(config.logsDir, 'rabbitmq'), { recursive: true });
  const cookie = join(home, '.erlang.cookie');
  if (
    !(await access(cookie).then(
      () => true,
      () => false,
    ))
  ) {
    await writePrivateFile(cookie, generateSecret().slice(0, 32));
  }
  const templates = join(config.repoRoot, 'infrastructure', 'rabbitmq');
  const rendered = await renderTemplateFile(join(templates, 'rabbitmq.conf.template'), {
    RABBITMQ_BIND_ADDRESS: config.host,
    RABBITMQ_PORT: config.ports.rabbitmq,
    RABBITMQ_MANAGEMENT_PORT: config.ports.rabbitmqManagement,
    RABBITMQ_PROMETHEUS_PORT: config.ports.rabbitmqPrometheus,
    RABBITMQ_USER: USER,
    RABBITMQ_PASSWORD: ctx.secrets.rabbitmq,
  });
  await writePrivateFile(join(base, 'rabbitmq.conf'), rendered);
  await copyFile(join(templates, 'enabled_plugins'), join(base, 'enabled_plugins'));
  await ensureEpmd(ctx);
  return {
    command: join(SBIN, 'rabbitmq-server'),
    args: [],
    env: nodeEnv(ctx),
    cwd: base,
    logFile: join(config.logsDir, 'rabbitmq.log'),
  };
}

/** Makes sure our administrator has the generated password and full rights on `/`, and no guest. */
async function initialize(ctx: InfraContext): Promise<void> {
  const api = managementUrl(ctx);
  const whoami = await httpGet(`${api}/api/whoami`).catch(() => undefined);
  if (whoami?.status !== 200) {
    // The password changed since the node's first boot (or the user is gone): fix it on the node.
    ctx.progress('rabbitmq', `setting the password of user ${USER}`);
    await ctl(ctx, ['add_user', USER, ctx.secrets.rabbitmq]).catch(() =>
      ctl(ctx, ['change_password', USER, ctx.secrets.rabbitmq]),
    );
    await ctl(ctx, ['set_user_tags', USER, 'administrator']);
  }
  const full = { configure: '.*', write: '.*', read: '.*' };
  const permissions = await httpRequest('PUT', `${api}/api/permissions/%2F/${USER}`, full);
  if (permissions.status >= 300) {
    throw new ComponentError(
      'rabbitmq',
      `could not grant ${USER} rights on "/" (HTTP ${permissions.status})`,
    );
  }
  await httpRequest('DELETE', `${api}/api/users/guest`);
}

/**
 * RabbitMQ from Debian's packages, run as a plain process (no systemd) with its own node name,
 * cookie, config, plugins (management) and data under `.data/rabbitmq`.
 */
export const rabbitmq: Component = {
  name: 'rabbitmq',
  urlVar: 'RABBITMQ_URL',
  acceptsExternal: true,
  portVars: ['RABBITMQ_PORT', 'RABBITMQ_MANAGEMENT_PORT', 'RABBITMQ_DIST_PORT', 'RABBITMQ_PROMETHEUS_PORT'],
  startTimeoutMs: 120_000,
  ports: (ctx) => [
    ctx.config.ports.rabbitmq,
    ctx.config.ports.rabbitmqManagement,
    ctx.config.ports.rabbitmqDist,
    ctx.config.ports.rabbitmqPrometheus,
  ],
  localUrl: (ctx) => `amqp://${USER}:${ctx.secrets.rabbitmq}@${ctx.config.host}:${ctx.config.ports.rabbitmq}`,
  extraEnv: (ctx, external) => ({
    RABBITMQ_MANAGEMENT_URL: external ? ctx.config.urls.RABBITMQ_MANAGEMENT_URL : managementUrl(ctx),
  }),
  isReady: async (ctx, url) => {
    const handshake = await amqpHandshake(url).catch(() => undefined);
    if (!handshake?.authenticated) return false;
    const api = managementFor(ctx, url);
    return api === undefined || (await httpGet(`${api}/api/overview`).catch(() => undefined))?.status === 200;
  },
  version: async (ctx, url) => {
    const api = managementFor(ctx, url);
    const overview = api ? await httpGet(`${api}/api/overview`).catch(() => undefined) : undefined;
    const body = overview?.body as { rabbitmq_version?: string; erlang_version?: string } | undefined;
    if (body?.rabbitmq_version)
      return `RabbitMQ ${body.rabbitmq_version} (Erlang ${body.erlang_version ?? '?'})`;
    const handshake = await amqpHandshake(url);
    return `${handshake.product} ${handshake.version}`;
  },
  install: async (ctx) => {
    if (!(await isExecutable(join(SBIN, 'rabbitmq-server'))))
      await aptInstall(ctx, 'rabbitmq', ['rabbitmq-server']);
  },
  prepare,
  isStarted: async (ctx) => {
    const handshake = await amqpHandshake(rabbitmq.localUrl(ctx)).catch(() => undefined);
    const api = await httpGet(`${managementUrl(ctx)}/api/overview`).catch(() => undefined);
    return handshake !== undefined && api !== undefined;
  },
  initialize,
  stop: async (ctx, record) => {
    const stopped = await run(join(SBIN, 'rabbitmqctl'), ['-n', ctx.config.rabbitmqNodeName, 'shutdown'], {
      env: nodeEnv(ctx),
      timeoutMs: 90_000,
    });
    if (stopped.code !== 0) ctx.progress('rabbitmq', 'rabbitmqctl shutdown failed; signalling the node');
    await waitForGroupExit(record.pid, stopped.code === 0 ? 15_000 : 0);
  },
  afterStop: stopEpmdIfOurs,
};
