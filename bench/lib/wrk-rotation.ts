/**
 * wrk driving one route with several prepared requests in turn (different users, credentials or
 * bodies), optionally paced: each connection waits `delayMs` before its next request (wrk's `delay()`),
 * so a few connections hold a chosen rate instead of the most the system can take. Loopback only.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseWrkSummary, STATUS_SUMMARY_LUA, type WrkResult } from './wrk.js';

/** One request of the rotation. */
export interface RotatedRequest {
  method: 'GET' | 'POST';
  /** Path and query, e.g. `/api/v1/users/me`. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

/** Options of {@link runWrkRotation}. */
export interface WrkRotationOptions {
  /** `http://127.0.0.1:<port>`. */
  baseUrl: string;
  requests: readonly RotatedRequest[];
  connections: number;
  durationSeconds: number;
  /** Pause of each connection between two requests, ms (0: as fast as answers come). */
  delayMs?: number;
  timeoutSeconds?: number;
}

/** A Lua string literal for ASCII text (header names and values, paths). */
function luaString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new Error(`not printable ASCII: ${JSON.stringify(value)}`);
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function luaScript(requests: readonly RotatedRequest[], bodyFiles: readonly (string | undefined)[]): string {
  const entries = requests.map((request, index) => {
    const headers = Object.entries(request.headers ?? {})
      .map(([name, value]) => `[${luaString(name)}] = ${luaString(value)}`)
      .join(', ');
    const bodyFile = bodyFiles[index];
    return `{ method = ${luaString(request.method)}, path = ${luaString(request.path)}, headers = { ${headers} }, body_file = ${bodyFile ? luaString(bodyFile) : 'nil'} }`;
  });
  return `
local specs = { ${entries.join(',\n  ')} }
local prepared = {}
local next_index = 0
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")
statuses = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  statuses = {}
  for i, spec in ipairs(specs) do
    local body = nil
    if spec.body_file then local f = io.open(spec.body_file, "rb"); body = f:read("*a"); f:close() end
    prepared[i] = wrk.format(spec.method, spec.path, spec.headers, body)
  end
  next_index = math.random(#prepared) - 1
end
function request()
  next_index = (next_index % #prepared) + 1
  return prepared[next_index]
end
if pause > 0 then function delay() return pause end end
${STATUS_SUMMARY_LUA}`;
}

/** Runs wrk once over the rotation and returns what it measured. */
export async function runWrkRotation(options: WrkRotationOptions): Promise<WrkResult> {
  const target = new URL(options.baseUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
    throw new Error('wrk targets loopback only');
  if (options.requests.length === 0) throw new Error('no request to send');
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-wrk-'));
  try {
    const bodyFiles = await Promise.all(
      options.requests.map(async (request, index) => {
        if (!request.body) return undefined;
        const file = join(dir, `body-${index}.bin`);
        await writeFile(file, request.body);
        return file;
      }),
    );
    const script = join(dir, 'rotation.lua');
    await writeFile(script, luaScript(options.requests, bodyFiles));
    const { stdout } = await promisify(execFile)(
      'wrk',
      [
        '-t',
        String(Math.min(2, options.connections)),
        '-c',
        String(options.connections),
        '-d',
        `${options.durationSeconds}s`,
        '--timeout',
        `${options.timeoutSeconds ?? 30}s`,
        '-s',
        script,
        options.baseUrl,
      ],
      {
        env: { ...process.env, WRK_DELAY_MS: String(Math.max(0, Math.round(options.delayMs ?? 0))) },
        maxBuffer: 1 << 20,
        timeout: (options.durationSeconds + 60) * 1000,
      },
    );
    return parseWrkSummary(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
