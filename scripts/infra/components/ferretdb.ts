import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Component } from '../component.js';
import { ensureFerretdb } from '../install/ferretdb.js';
import { mongoCommand } from '../protocols/mongo.js';

/**
 * A MongoDB wire protocol server: FerretDB v1 on its SQLite backend, data in `.data/ferretdb`.
 * It listens on loopback only and has no authentication (development and tests); point
 * MONGO_URL at a real MongoDB for anything else.
 */
export const ferretdb: Component = {
  name: 'ferretdb',
  urlVar: 'MONGO_URL',
  acceptsExternal: true,
  portVars: ['MONGO_PORT'],
  startTimeoutMs: 60_000,
  ports: (ctx) => [ctx.config.ports.mongo],
  localUrl: (ctx) => `mongodb://${ctx.config.host}:${ctx.config.ports.mongo}/`,
  isReady: async (_ctx, url) => {
    const reply = await mongoCommand(url, { ping: 1 }).catch(() => undefined);
    return reply?.ok === 1;
  },
  version: async (_ctx, url) => {
    const info = await mongoCommand(url, { buildInfo: 1 });
    const mongo = `MongoDB ${String(info.version)}`;
    return typeof info.ferretdbVersion === 'string' ? `FerretDB ${info.ferretdbVersion} (${mongo})` : mongo;
  },
  install: async (ctx) => {
    await ensureFerretdb(ctx);
  },
  prepare: async (ctx) => {
    const { config } = ctx;
    const dir = join(config.dataDir, 'ferretdb');
    const stateDir = join(dir, 'state');
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    return {
      command: await ensureFerretdb(ctx),
      args: [
        '--handler=sqlite',
        `--sqlite-url=file:${dir}/`,
        `--listen-addr=${config.host}:${config.ports.mongo}`,
        `--state-dir=${stateDir}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-format=text',
      ],
      env: config.baseEnv,
      cwd: dir,
      logFile: join(config.logsDir, 'ferretdb.log'),
    };
  },
};
