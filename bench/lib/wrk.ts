/**
 * HTTP load from `wrk` (a native generator: the load does not compete with the system under test for
 * the Node event loop), with a Lua script that counts answers by status. Loopback targets only.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** What one wrk run measured. */
export interface WrkResult {
  requests: number;
  seconds: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  /** Socket errors (connect, read, write, timeout): answers that never came. */
  socketErrors: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** Options of {@link runWrk}. */
export interface WrkOptions {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A request body, sent with every request. */
  body?: Buffer;
  connections: number;
  durationSeconds: number;
  /** wrk's own per-request timeout (`--timeout`), seconds. */
  timeoutSeconds?: number;
}

const LUA = `
local f = io.open(os.getenv("WRK_BODY_FILE") or "", "rb")
if f then wrk.body = f:read("*a"); f:close() end
wrk.method = os.getenv("WRK_METHOD")
-- A global (not local): done() reads each thread's own copy with thread:get("statuses").
statuses = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for status, n in pairs(s) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%d":%d', status, n)) end
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"statuses":{%s}}\\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, table.concat(parts, ",")))
end
`;

/** Runs wrk once and returns what it measured. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const target = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
    throw new Error('wrk targets loopback only');
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-wrk-'));
  try {
    const script = join(dir, 'load.lua');
    await writeFile(script, LUA);
    const bodyFile = join(dir, 'body.bin');
    if (options.body) await writeFile(bodyFile, options.body);
    const headers = Object.entries(options.headers ?? {}).flatMap(([name, value]) => [
      '-H',
      `${name}: ${value}`,
    ]);
    const connections = String(options.connections);
    const { stdout } = await promisify(execFile)(
      'wrk',
      [
        '-t',
        String(Math.min(2, options.connections)),
        '-c',
        connections,
        '-d',
        `${options.durationSeconds}s`,
        '--timeout',
        `${options.timeoutSeconds ?? 30}s`,
        '-s',
        script,
        ...headers,
        options.url,
      ],
      {
        env: {
          ...process.env,
          WRK_METHOD: options.method,
          ...(options.body ? { WRK_BODY_FILE: bodyFile } : {}),
        },
        maxBuffer: 1 << 20,
        timeout: (options.durationSeconds + 60) * 1000,
      },
    );
    const line = stdout.split('\n').find((entry) => entry.startsWith('WRK_JSON '));
    if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
    const raw = JSON.parse(line.slice('WRK_JSON '.length)) as {
      requests: number;
      duration_us: number;
      errors: number;
      p50_us: number;
      p99_us: number;
      max_us: number;
      statuses: Record<string, number>;
    };
    return {
      requests: raw.requests,
      seconds: raw.duration_us / 1e6,
      statuses: raw.statuses,
      socketErrors: raw.errors,
      p50_ms: raw.p50_us / 1000,
      p99_ms: raw.p99_us / 1000,
      max_ms: raw.max_us / 1000,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
