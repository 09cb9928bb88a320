import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Component } from '../component.js';
import { ensureJaeger, JAEGER_VERSION } from '../install/jaeger.js';
import { httpGet } from '../probes.js';

/** The environment that places Jaeger's listeners (read by `infrastructure/observability/jaeger/jaeger.yaml`). */
export function jaegerListenEnv(host: string, uiPort: number, otlpPort: number): Record<string, string> {
  return {
    JAEGER_QUERY_HTTP_ENDPOINT: `${host}:${uiPort}`,
    JAEGER_QUERY_GRPC_ENDPOINT: `${host}:${uiPort - 1}`,
    JAEGER_OTLP_HTTP_ENDPOINT: `${host}:${otlpPort}`,
  };
}

/**
 * Jaeger all-in-one (optional, `infra up --observability`): built from the Go module proxy into the
 * tools cache, in-memory storage, an OTLP/HTTP receiver for the services' traces and the query
 * API + UI. Its OTLP URL is written to `.data/infra.env` as `JAEGER_OTLP_URL`.
 */
export const jaeger: Component = {
  name: 'jaeger',
  urlVar: 'JAEGER_URL',
  acceptsExternal: false,
  portVars: ['JAEGER_UI_PORT', 'JAEGER_OTLP_PORT'],
  startTimeoutMs: 60_000,
  ports: (ctx) => [ctx.config.ports.jaegerUi, ctx.config.ports.jaegerUi - 1, ctx.config.ports.jaegerOtlp],
  localUrl: (ctx) => `http://${ctx.config.host}:${ctx.config.ports.jaegerUi}`,
  extraEnv: (ctx) => ({ JAEGER_OTLP_URL: `http://${ctx.config.host}:${ctx.config.ports.jaegerOtlp}` }),
  isReady: async (_ctx, url) => {
    const result = await httpGet(`${url}/api/services`).catch(() => undefined);
    return result?.status === 200;
  },
  version: async () => `Jaeger ${JAEGER_VERSION} (in-memory storage)`,
  install: async (ctx) => {
    await ensureJaeger(ctx);
  },
  prepare: async (ctx) => {
    const { config } = ctx;
    const dir = join(config.dataDir, 'jaeger');
    await mkdir(dir, { recursive: true });
    return {
      command: await ensureJaeger(ctx),
      args: ['--config', join(config.repoRoot, 'infrastructure', 'observability', 'jaeger', 'jaeger.yaml')],
      env: {
        ...config.baseEnv,
        ...jaegerListenEnv(config.host, config.ports.jaegerUi, config.ports.jaegerOtlp),
      },
      cwd: dir,
      logFile: join(config.logsDir, 'jaeger.log'),
    };
  },
};
