import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { InfraContext } from './component.js';
import { aptInstall } from './install/apt.js';

/** Debian packages the native gateway's tracing needs: nginx's Lua module and the JSON encoder it uses. */
const GATEWAY_TRACING_PACKAGES = ['libnginx-mod-http-lua', 'lua-cjson'] as const;

/** Where Debian's nginx keeps its dynamic modules. */
const MODULES_DIR = '/usr/lib/nginx/modules';

/** Whether lua-cjson's module for LuaJIT (Lua 5.1 ABI) is in its multiarch folder (`/usr/lib/<triplet>/`). */
const cjsonInstalled = () =>
  readdirSync('/usr/lib').some(
    (entry) => entry.endsWith('-linux-gnu') && existsSync(join('/usr/lib', entry, 'lua', '5.1', 'cjson.so')),
  );

/** Installs nginx's Lua module and the JSON encoder (Debian packages) when they are missing. */
export async function ensureGatewayTracingModules(ctx: InfraContext): Promise<void> {
  if (existsSync(join(MODULES_DIR, 'ngx_http_lua_module.so')) && cjsonInstalled()) return;
  await aptInstall(ctx, 'nginx', [...GATEWAY_TRACING_PACKAGES]);
}

/** What the gateway's span is exported to, and how traces that begin at the gateway are sampled. */
export interface GatewayTracing {
  /** OTLP/HTTP base URL (Jaeger's, `http://127.0.0.1:4318`); spans go to `<url>/v1/traces`. */
  otlpUrl: string;
  /** Share of the traces that begin at the gateway that are recorded (0-1); a caller's decision is kept. */
  sampleRatio: number;
  /** `service.instance.id` of the gateway's spans (each worker appends its pid). */
  instance: string;
  environment: string;
}

/** The two nginx files that turn tracing on: one for the main context, one for `http`. */
export interface GatewayTracingFiles {
  /** `load_module` lines (main context). */
  modules: string;
  /** Lua setup and the access and log phase hooks (`http` context: every server and location inherits them). */
  http: string;
}

const luaString = (value: string) => JSON.stringify(value);

/**
 * nginx configuration for the gateway's own span of each proxied request
 * (`infrastructure/nginx/lua/flotilla/gateway_tracing.lua`). The Lua files are loaded by the master
 * at start (`init_by_lua`, as the user that starts nginx), so unprivileged workers need not read the
 * repository.
 */
export function gatewayTracingConfig(repoRoot: string, tracing: GatewayTracing): GatewayTracingFiles {
  const luaDir = join(repoRoot, 'infrastructure', 'nginx', 'lua');
  const ratio = Math.min(1, Math.max(0, tracing.sampleRatio));
  const options = `{ endpoint = ${luaString(tracing.otlpUrl)}, ratio = ${ratio}, service = "gateway", instance = ${luaString(tracing.instance)}, environment = ${luaString(tracing.environment)} }`;
  return {
    modules: [
      '# Rendered by `npm run infra -- up --observability`: the Lua module the gateway tracing runs on.',
      `load_module ${MODULES_DIR}/ndk_http_module.so;`,
      `load_module ${MODULES_DIR}/ngx_http_lua_module.so;`,
      '',
    ].join('\n'),
    http: [
      '# Rendered by `npm run infra -- up --observability`: the gateway span of each proxied request,',
      '# exported to Jaeger (infrastructure/nginx/lua/flotilla/gateway_tracing.lua).',
      `lua_package_path ${luaString(`${luaDir}/?.lua;;`)};`,
      'init_by_lua_block {',
      '  require "resty.http"',
      '  require "resty.http_connect"',
      `  require("flotilla.gateway_tracing").configure(${options})`,
      '}',
      'init_worker_by_lua_block { require("flotilla.gateway_tracing").init_worker() }',
      'access_by_lua_block { require("flotilla.gateway_tracing").start() }',
      'log_by_lua_block { require("flotilla.gateway_tracing").finish() }',
      '',
    ].join('\n'),
  };
}
