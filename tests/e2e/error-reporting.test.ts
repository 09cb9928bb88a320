import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, repoRoot } from './helpers/service-process.js';

/**
 * Sentry end to end with a local envelope receiver standing in for sentry.io: a service on the
 * platform's HTTP stack, started with the telemetry bootstrap and SENTRY_DSN, reports an unexpected
 * route error once, with the request id, the trace id of the request, release and environment, and
 * without the password or e-mail address of the request body; the request's spans reach Sentry too,
 * through the same tracer provider.
 */

interface Envelope {
  raw: string;
  items: Array<{ header: { type?: string }; payload: Record<string, unknown> }>;
}

const envelopes: Envelope[] = [];
let receiver: Server;
let service: ReturnType<typeof spawn>;
const logs: Array<Record<string, unknown>> = [];
let port: number;

function parseEnvelope(raw: string): Envelope {
  const lines = raw.split('\n').filter((line) => line.trim() !== '');
  const items: Envelope['items'] = [];
  for (let index = 1; index + 1 < lines.length; index += 2) {
    items.push({
      header: JSON.parse(lines[index] as string) as { type?: string },
      payload: JSON.parse(lines[index + 1] as string) as Record<string, unknown>,
    });
  }
  return { raw, items };
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      envelopes.push(parseEnvelope(body.toString('utf8')));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port: receiverPort } = receiver.address() as AddressInfo;
  port = await freePort();
  service = spawn(
    process.execPath,
    [
      '--conditions=flotilla-source',
      '--import',
      'tsx',
      '--import',
      '@flotilla/platform/telemetry',
      join(repoRoot, 'tests', 'e2e', 'fixtures', 'failing-route.service.ts'),
      String(port),
    ],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        SENTRY_DSN: `http://0123456789abcdef0123456789abcdef@127.0.0.1:${receiverPort}/42`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  createInterface({ input: service.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/live`)
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) break;
    if (service.exitCode !== null || Date.now() > deadline)
      throw new Error('the failing service did not start');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 120_000);

afterAll(async () => {
  if (service && service.exitCode === null) {
    const exited = new Promise((resolve) => service.once('exit', resolve));
    service.kill('SIGTERM');
    await exited;
  }
  await new Promise((resolve) => receiver?.close(resolve));
});

const errorEvents = () =>
  envelopes.flatMap((envelope) =>
    envelope.items
      .filter((item) => item.header.type === 'event')
      .map((item) => ({ envelope, event: item.payload })),
  );

describe('error reporting to Sentry', () => {
  it('an unexpected route error arrives once, with request and trace ids, without personal data', async () => {
    const requestId = `sentry-${randomBytes(6).toString('hex')}`;
    const password = `hunter2-${randomBytes(8).toString('hex')}`;
    const email = `ada.${randomBytes(3).toString('hex')}@example.com`;
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ email, password, item: 'lamp' }),
    });
    expect(response.status).toBe(500);
    const problem = (await response.json()) as Record<string, unknown>;
    expect(JSON.stringify(problem)).not.toContain('order book');

    const deadline = Date.now() + 30_000;
    while (errorEvents().length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Let any duplicate arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const events = errorEvents();
    expect(events).toHaveLength(1);
    const { envelope, event } = events[0] as (typeof events)[number];

    const exception = (event.exception as { values: Array<{ type: string; value: string }> }).values[0];
    expect(exception).toMatchObject({ type: 'TypeError', value: 'the order book is inconsistent' });
    const tags = event.tags as Record<string, string>;
    expect(tags.request_id).toBe(requestId);
    expect(tags.route).toBe('POST /api/v1/orders');
    const logLine = logs.find((line) => line.request_id === requestId && line.msg === 'request failed');
    expect(logLine?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(tags.trace_id).toBe(logLine?.trace_id);
    expect((event.contexts as { trace?: { trace_id?: string } }).trace?.trace_id).toBe(logLine?.trace_id);
    expect(event.release).toBe('flotilla@0.1.0');
    expect(event.environment).toBe('test');

    expect(envelope.raw).not.toContain(password);
    expect(envelope.raw).not.toContain(email);

    // Sentry shares the process's tracer provider: the request's spans arrive as a transaction of
    // the same trace.
    const transaction = await (async () => {
      const until = Date.now() + 30_000;
      for (;;) {
        const found = envelopes
          .flatMap((entry) => entry.items.filter((item) => item.header.type === 'transaction'))
          .find(
            (item) =>
              (item.payload.contexts as { trace?: { trace_id?: string } }).trace?.trace_id ===
              logLine?.trace_id,
          );
        if (found || Date.now() > until) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    expect(transaction?.payload.transaction).toBe('POST /api/v1/orders');
    const everything = JSON.stringify(envelopes.map((entry) => entry.raw));
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(email);
  });
});
