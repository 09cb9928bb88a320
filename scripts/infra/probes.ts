import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** True when something accepts TCP connections at host:port. */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Options of {@link waitUntil}. */
export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Returns a reason to give up early (e.g. the process exited), or undefined to keep waiting. */
  giveUp?: () => string | undefined;
}

/** Polls `check` until it returns true; returns false on timeout, throws when `giveUp` says so. */
export async function waitUntil(check: () => Promise<boolean>, options: WaitOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    const reason = options.giveUp?.();
    if (reason) throw new Error(reason);
    if (Date.now() > deadline) return false;
    await sleep(options.intervalMs ?? 250);
  }
}

/** A URL without its user and password, plus a Basic authorization header built from them. */
export function splitCredentials(url: string): { url: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  const headers: Record<string, string> = {};
  if (parsed.username || parsed.password) {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  return { url: parsed.toString(), headers };
}

/** Result of {@link httpGet}. */
export interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
}

/** GET with a timeout; credentials in the URL become a Basic header; JSON bodies are parsed. */
export async function httpGet(url: string, timeoutMs = 3000): Promise<HttpResult> {
  const { url: bare, headers } = splitCredentials(url);
  const response = await fetch(bare, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  let body: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
  }
  return { status: response.status, headers: response.headers, body };
}

/** True when GET `url` answers with 2xx. */
export async function isHttpOk(url: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const { status } = await httpGet(url, timeoutMs);
    return status >= 200 && status < 300;
  } catch {
    return false;
  }
}

/** A request with an optional JSON body (management APIs); credentials in the URL become Basic auth. */
export async function httpRequest(
  method: string,
  url: string,
  json?: unknown,
  timeoutMs = 5000,
): Promise<HttpResult> {
  const { url: bare, headers } = splitCredentials(url);
  const init: RequestInit = { method, headers, signal: AbortSignal.timeout(timeoutMs) };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(bare, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text };
}
