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
  /**
   * Requests sent in turn instead of one fixed request (per-request tokens, ids, bodies): each wrk
   * thread starts at its own offset in the list and takes the next one for every request. `headers`
   * and `body` above are sent with each of them too, unless the entry has its own body.
   */
  rotate?: readonly RotatedRequest[];
}

/** One request of {@link WrkOptions.rotate}: a path (with query) on the target, its headers and body. */
export interface RotatedRequest {
  path: string;
  headers?: Record<string, string>;
  /** A text body (JSON); no tab or newline (JSON.stringify output qualifies). */
  body?: string;
}

/**
 * Lua for wrk: counts answers by status in every thread; `done()` prints them with the latencies as one
 * `WRK_JSON {...}` line (read by `parseWrkSummary`).
 */
export const STATUS_SUMMARY_LUA = `function response(status, headers, body)
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

const LUA = `
local f = io.open(os.getenv("WRK_BODY_FILE") or "", "rb")
if f then wrk.body = f:read("*a"); f:close() end
wrk.method = os.getenv("WRK_METHOD")
-- A global (not local): done() reads each thread's own copy with thread:get("statuses").
statuses = {}
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads - 1)
  thread:set("thread_count", tonumber(os.getenv("WRK_THREADS")))
end
-- Rotated requests: one per line, "path<TAB>name: value<US>name: value...<TAB>body", pre-formatted.
local rotated = {}
local next_index = 1
function init(args)
  statuses = {}
  local list = io.open(os.getenv("WRK_ROTATE_FILE") or "", "rb")
  if not list then return end
  for line in list:lines() do
    local path, header_text, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    if path then
      local headers = {}
      for name, value in pairs(wrk.headers) do headers[name] = value end
      for name, value in header_text:gmatch("([^:\\31]+): ([^\\31]*)") do headers[name] = value end
      if body == "" then body = nil end
      table.insert(rotated, wrk.format(nil, path, headers, body))
    end
  end
  list:close()
  next_index = math.floor(thread_index * #rotated / thread_count) + 1
end
function request()
  if #rotated == 0 then return wrk.request() end
  local req = rotated[next_index]
  next_index = next_index % #rotated + 1
  return req
end
${STATUS_SUMMARY_LUA}`;

/** The rotated requests as the Lua script reads them (one per line). */
function rotateLines(requests: readonly RotatedRequest[]): string {
  return requests
    .map((entry) => {
      const headers = Object.entries(entry.headers ?? {})
        .map(([name, value]) => `${name}: ${value}`)
        .join('\x1f');
      const line = `${entry.path}\t${headers}\t${entry.body ?? ''}`;
      if (/[\n\r]/.test(line) || (entry.body ?? '').includes('\t'))
        throw new Error('a rotated request holds a tab or newline');
      return line;
    })
    .join('\n')
    .concat('\n');
}

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
    const rotateFile = join(dir, 'rotate.tsv');
    const rotating = (options.rotate?.length ?? 0) > 0;
    if (rotating) await writeFile(rotateFile, rotateLines(options.rotate ?? []));
    const threads = Math.min(2, options.connections);
    const headers = Object.entries(options.headers ?? {}).flatMap(([name, value]) => [
      '-H',
      `${name}: ${value}`,
    ]);
    const connections = String(options.connections);
    const { stdout } = await promisify(execFile)(
      'wrk',
      [
        '-t',
        String(threads),
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
          WRK_THREADS: String(threads),
          ...(options.body ? { WRK_BODY_FILE: bodyFile } : {}),
          ...(rotating ? { WRK_ROTATE_FILE: rotateFile } : {}),
        },
        maxBuffer: 1 << 20,
        timeout: (options.durationSeconds + 60) * 1000,
      },
    );
    return parseWrkSummary(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The result line (`WRK_JSON {...}`) that `STATUS_SUMMARY_LUA`'s `done()` prints, read into a result. */
export function parseWrkSummary(stdout: string): WrkResult {
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
}
