import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Component } from '../component.js';
import { ensureChroma } from '../install/chroma.js';
import { httpGet, isHttpOk } from '../probes.js';

const base = (url: string) => url.replace(/\/+$/, '');

/** The ChromaDB server from PyPI (in a virtualenv of the tools cache), data in `.data/chroma`. */
export const chroma: Component = {
  name: 'chroma',
  urlVar: 'CHROMA_URL',
  acceptsExternal: true,
  portVars: ['CHROMA_PORT'],
  startTimeoutMs: 90_000,
  ports: (ctx) => [ctx.config.ports.chroma],
  localUrl: (ctx) => `http://${ctx.config.host}:${ctx.config.ports.chroma}`,
  isReady: (_ctx, url) => isHttpOk(`${base(url)}/api/v2/heartbeat`),
  version: async (_ctx, url) => {
    const { body } = await httpGet(`${base(url)}/api/v2/version`);
    return `Chroma (API ${String(body)})`;
  },
  install: async (ctx) => {
    await ensureChroma(ctx);
  },
  prepare: async (ctx) => {
    const { config } = ctx;
    const dir = join(config.dataDir, 'chroma');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return {
      command: await ensureChroma(ctx),
      args: ['run', '--host', config.host, '--port', String(config.ports.chroma), '--path', dir],
      env: { ...config.baseEnv, ANONYMIZED_TELEMETRY: 'False', CHROMA_TELEMETRY_ENABLED: 'false' },
      cwd: dir,
      logFile: join(config.logsDir, 'chroma.log'),
    };
  },
};
