import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createHealth } from '../../src/health/health.js';
import { createHttpApp } from '../../src/http/create-http-app.js';
import { createLogger } from '../../src/logging/logger.js';
import { createMetrics } from '../../src/metrics/registry.js';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'slow-service.ts');

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

/** Starts the fixture service and resolves with its port and its parsed log lines. */
function startFixture(
  slowMs: number,
  env: Record<string, string> = {},
): Promise<{ port: number; logs: Record<string, unknown>[]; exited: Promise<number | null> }> {
  child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, SLOW_MS: String(slowMs), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Record<string, unknown>[] = [];
  const current = child;
  const exited = new Promise<number | null>((resolve) => current.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fixture did not start')), 20_000);
    createInterface({ input: current.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'fixture-ready') {
          clearTimeout(timer);
          resolve({ port: entry.port as number, logs, exited });
        }
      } catch {
        // not JSON
      }
    });
  });
}

/** A kept-alive HTTP/1.1 connection driven by hand, to see exactly what the server does with it. */
interface RawConnection {
  /** Sends a GET and resolves with the status and the lower-cased headers of its answer. */
  get(path: string): Promise<{ status: number; headers: Record<string, string> }>;
  /** How the connection ended: `end` (the server closed it cleanly) or `error <code>` (a reset). */
  ended: Promise<string>;
  socket: Socket;
}

function openConnection(port: number): RawConnection {
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let buffer = '';
  let wake: () => void = () => undefined;
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    wake();
  });
  const ended = new Promise<string>((resolve) => {
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`));
    socket.once('end', () => resolve('end'));
  });
  async function get(path: string) {
    socket.write(`GET ${path} HTTP/1.1\r\nHost: fixture\r\n\r\n`);
    for (;;) {
      const headEnd = buffer.indexOf('\r\n\r\n');
      if (headEnd >= 0) {
        const [statusLine = '', ...lines] = buffer.slice(0, headEnd).split('\r\n');
        const headers = Object.fromEntries(
          lines.map((line) => [
            line.slice(0, line.indexOf(':')).toLowerCase(),
            line.slice(line.indexOf(':') + 1).trim(),
          ]),
        );
        const length = Number(headers['content-length'] ?? 0);
        if (buffer.length >= headEnd + 4 + length) {
          buffer = buffer.slice(headEnd + 4 + length);
          return { status: Number(statusLine.split(' ')[1]), headers };
        }
      }
      const outcome = await Promise.race([new Promise<void>((resolve) => (wake = resolve)), ended]);
      if (typeof outcome === 'string' && buffer.indexOf('\r\n\r\n') < 0)
        throw new Error(`connection ${outcome}`);
    }
  }
  return { get, ended, socket };
}

/** Resolves once a new connection to `port` is refused (the listener is closed). */
async function listenerClosed(port: number): Promise<void> {
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const probe = connect(port, '127.0.0.1');
      probe.once('connect', () => {
        probe.destroy();
        resolve(false);
      });
      probe.once('error', () => resolve(true));
    });
    if (refused) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('graceful shutdown of an HTTP service', () => {
  it('on SIGTERM finishes the request in flight, flips readiness, refuses new work and exits 0', async () => {
    const { port, logs, exited } = await startFixture(1500);
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`).then(async (response) => ({
      status: response.status,
      body: await response.json(),
    }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    child?.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));

    // New connections are refused once the listener is closed.
    const late = await fetch(`http://127.0.0.1:${port}/health/live`).then(
      (response) => response.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);

    const completed = await inFlight;
    expect(completed).toEqual({ status: 200, body: { done: true } });
    const code = await exited;
    expect(code, JSON.stringify(logs)).toBe(0);
    const messages = logs.map((entry) => entry.msg);
    expect(messages).toContain('shutdown started');
    expect(messages).toContain('shutdown complete');
    expect(logs.find((entry) => entry.msg === 'shutdown started')?.reason).toBe('SIGTERM');
  });

  it('exits 1 when in-flight work outlasts the shutdown deadline', async () => {
    const { port, exited } = await startFixture(20_000);
    void fetch(`http://127.0.0.1:${port}/slow`).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    child?.kill('SIGTERM');
    expect(await exited).toBe(1);
  });

  it('resets no kept-alive connection: a request sent on one after the listener closed is served with Connection: close, and an idle one is closed cleanly after the drain', async () => {
    // A drain long enough that the request below arrives within it even on a loaded machine.
    const { port, exited } = await startFixture(50, { DRAIN_MS: '5000', SHUTDOWN_TIMEOUT_MS: '12000' });
    const used = openConnection(port);
    const idle = openConnection(port);
    for (const connection of [used, idle]) {
      const first = await connection.get('/health/live');
      expect(first.status).toBe(200);
      expect(first.headers.connection).toBe('keep-alive');
    }
    child?.kill('SIGTERM');
    await listenerClosed(port);

    // New connections are refused, but the open one is still served, and told not to be reused.
    const during = await used.get('/slow');
    expect(during).toMatchObject({ status: 200, headers: { connection: 'close' } });
    expect(await used.ended).toBe('end');
    // The connection that sent nothing is closed by the server once the drain is over, not reset.
    expect(await idle.ended).toBe('end');
    expect(await exited).toBe(0);
  });

  it('under a stream of requests on kept-alive connections, SIGTERM resets none: each request is answered or refused at connect', async () => {
    const { port, exited } = await startFixture(5);
    const outcomes: string[] = [];
    let signalled = false;
    const loop = async () => {
      for (let i = 0; i < 2000; i += 1) {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/slow`);
          await response.arrayBuffer();
          outcomes.push(
            signalled ? `after ${response.status} ${response.headers.get('connection')}` : 'before',
          );
        } catch (error) {
          const code = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
          outcomes.push(code === 'ECONNREFUSED' ? 'refused' : `reset ${code}`);
          if (code === 'ECONNREFUSED') return;
        }
      }
    };
    const loops = Promise.all([loop(), loop(), loop(), loop()]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    signalled = true;
    child?.kill('SIGTERM');
    await loops;
    expect(await exited).toBe(0);
    expect(outcomes.filter((outcome) => outcome.startsWith('reset'))).toEqual([]);
    expect(outcomes.filter((outcome) => outcome === 'refused')).toHaveLength(4);
    // Answers after the signal were served in full and closed their connection.
    expect(outcomes.filter((o) => o.startsWith('after') && !o.startsWith('after 200'))).toEqual([]);
    expect(outcomes).toContain('after 200 close');
  });

  it('answers a request that arrives once close() has begun with a 503 problem, and closes the connection', async () => {
    const app = await createHttpApp({
      service: 'closing',
      version: '0.0.0',
      logger: createLogger({ service: 'closing', version: '0.0.0', level: 'silent' }),
      health: createHealth(),
      metrics: createMetrics({ service: 'closing', version: '0.0.0' }),
      bodyLimit: 1024,
    });
    let handled = 0;
    app.get('/slow', async () => {
      handled += 1;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { done: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    // A slow request holds the connection busy (so close() does not close it as idle); the second
    // request on it arrives once close() has begun.
    const socket = connect(port, '127.0.0.1');
    socket.setEncoding('latin1');
    let received = '';
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = app.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n');
    await Promise.all([closed, ended]);

    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(answers[1]).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(answers[1]).toMatch(/\r\nconnection: close\r\n/i);
    expect(answers[1]).toMatch(/\r\nretry-after: 1\r\n/i);
    const body = JSON.parse(answers[1]?.slice((answers[1]?.indexOf('\r\n\r\n') ?? 0) + 4) ?? '');
    expect(body).toMatchObject({ status: 503, code: 'SERVICE.SHUTTING_DOWN' });
    expect(handled).toBe(1);
  });
});
