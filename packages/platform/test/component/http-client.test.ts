import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { runWithContext } from '../../src/context/request-context.js';
import { DomainError } from '../../src/errors/domain-error.js';
import { isUpstreamHttpError, UpstreamHttpError } from '../../src/http/client/client-errors.js';
import type { ServiceClient, ServiceClientOptions } from '../../src/http/client/client-options.js';
import { createServiceClient } from '../../src/http/client/service-client.js';
import { waitFor } from './messaging-broker.js';

const TOKEN = 'svc-token-0123456789abcdef';

interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

interface TestServer {
  url: string;
  requests: SeenRequest[];
}

type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(handler: Handler): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests };
}

function makeClient(baseUrl: string, overrides: Partial<ServiceClientOptions> = {}): ServiceClient {
  const client = createServiceClient({
    name: 'data-test',
    baseUrl,
    callerName: 'api',
    serviceToken: TOKEN,
    connectTimeoutMs: 500,
    headersTimeoutMs: 1000,
    bodyTimeoutMs: 1000,
    requestTimeoutMs: 3000,
    retry: { retries: 2, baseDelayMs: 10, maxDelayMs: 50 },
    breaker: { failureThreshold: 50, halfOpenAfterMs: 200 },
    ...overrides,
  });
  cleanups.push(() => client.close());
  return client;
}

function sendJson(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
}

/** Answers 503 `failures` times, then 200 with `{ ok: true }`. */
function failingThenOk(failures: number): Handler {
  return (req, res, index) => {
    req.resume();
    if (index <= failures) sendJson(res, 503, { title: 'busy' }, 'application/problem+json');
    else sendJson(res, 200, { ok: true });
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/** A free port with nothing listening on it. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const CHUNK_SIZE = 64 * 1024;
const CHUNKS = 80; // 5 MiB

function chunk(index: number): Buffer {
  return Buffer.alloc(CHUNK_SIZE, index % 251);
}

function expectedDigest(): string {
  const hash = createHash('sha256');
  for (let i = 0; i < CHUNKS; i++) hash.update(chunk(i));
  return hash.digest('hex');
}

describe('service client headers and encoding', () => {
  it('sends the context request id, the bearer token, the caller user agent and the trace hook headers', async () => {
    const server = await startServer((_req, res) => sendJson(res, 200, { id: 'u1' }));
    const client = makeClient(`${server.url}/v1`, {
      injectHeaders: (headers) => {
        headers.traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      },
    });

    const user = await runWithContext({ requestId: 'abc' }, () =>
      client.json<{ id: string }>('GET', '/users/:id', {
        params: { id: 'a b' },
        query: { tag: ['x', 'y'], skip: undefined },
      }),
    );

    expect(user).toEqual({ id: 'u1' });
    expect(server.requests).toHaveLength(1);
    const seen = server.requests[0];
    expect(seen?.url).toBe('/v1/users/a%20b?tag=x&tag=y');
    expect(seen?.headers['x-request-id']).toBe('abc');
    expect(seen?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen?.headers['user-agent']).toBe('flotilla-api');
    expect(seen?.headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });

  it('outside any request context still sends a request id, the same one on every retry', async () => {
    const server = await startServer(failingThenOk(1));
    const client = makeClient(server.url);

    await client.request({ method: 'GET', path: '/ping' });

    const ids = server.requests.map((request) => request.headers['x-request-id']);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).toBe(ids[0]);
  });

  it('sends a JSON body with its content type and returns an expected non-2xx status instead of throwing', async () => {
    const server = await startServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (part: string) => {
        raw += part;
      });
      req.on('end', () =>
        sendJson(res, 409, { received: JSON.parse(raw), type: req.headers['content-type'] }),
      );
    });
    const client = makeClient(server.url);

    const response = await client.request<{ received: unknown; type: string }>({
      method: 'POST',
      path: '/users',
      body: { email: 'a@example.com' },
      expect: [201, 409],
    });

    expect(response.status).toBe(409);
    expect(response.body).toEqual({ received: { email: 'a@example.com' }, type: 'application/json' });
  });
});

/** A server that holds every request until `release` is called, and counts the connections it saw. */
async function startHoldingServer() {
  const held: ServerResponse[] = [];
  const sockets = new Set<unknown>();
  const server = await startServer((req, res) => {
    req.resume();
    sockets.add(req.socket);
    held.push(res);
  });
  return {
    ...server,
    held,
    sockets,
    release() {
      for (const res of held.splice(0)) sendJson(res, 200, { ok: true });
    },
  };
}

describe('service client connection pool', () => {
  it('opens at most `connections` connections: further calls wait for a free one, then all are answered', async () => {
    const server = await startHoldingServer();
    const client = makeClient(server.url, { connections: 3 });

    const calls = Array.from({ length: 8 }, () => client.request({ method: 'GET', path: '/held' }));
    await waitFor('three requests held', () => server.held.length === 3, 3000);
    await sleep(200); // room for more to arrive, were the pool not bounded
    expect(server.held).toHaveLength(3);
    while (server.requests.length < 8 || server.held.length > 0) {
      server.release();
      await sleep(10);
    }

    const answers = await Promise.all(calls);
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    expect(server.sockets.size).toBe(3);
  });

  it('by default sends 20 concurrent calls at once, each on its own connection', async () => {
    const server = await startHoldingServer();
    const client = makeClient(server.url);

    const calls = Array.from({ length: 20 }, () => client.request({ method: 'GET', path: '/held' }));
    await waitFor('twenty requests held at once', () => server.held.length === 20, 3000);
    server.release();

    expect((await Promise.all(calls)).every((answer) => answer.status === 200)).toBe(true);
    expect(server.sockets.size).toBe(20);
  });
});

describe('service client timeouts and connection failures', () => {
  it('turns a server that never answers into UPSTREAM.TIMEOUT after the retries a GET allows', async () => {
    const server = await startServer(() => {});
    // undici's headers timer has a resolution of about one second, whatever the configured value.
    const client = makeClient(server.url, { headersTimeoutMs: 150, requestTimeoutMs: 10_000 });

    const error = await rejection(client.request({ method: 'GET', path: '/slow' }));

    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('UPSTREAM.TIMEOUT');
    expect((error as DomainError).detail).toBe(
      'data-test did not answer GET /slow in time (no response headers in time)',
    );
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a timed-out POST', async () => {
    const server = await startServer(() => {});
    const client = makeClient(server.url, { headersTimeoutMs: 150 });

    const error = await rejection(client.request({ method: 'POST', path: '/jobs', body: { a: 1 } }));

    expect((error as DomainError).code).toBe('UPSTREAM.TIMEOUT');
    expect(server.requests).toHaveLength(1);
  });

  it("waits longer for one call's answer when the call says so, and the client's own bound for the others", async () => {
    // The answer comes after about 2.5 s: past the client's headers timeout (1 s, with undici's timer
    // resolution of about a second), within the call's own.
    const server = await startServer((req, res) => {
      req.resume();
      setTimeout(() => sendJson(res, 201, { stored: true }), 2500);
    });
    const client = makeClient(server.url, { headersTimeoutMs: 1000, requestTimeoutMs: 10_000 });

    const answered = await client.request({
      method: 'POST',
      path: '/blobs',
      body: { a: 1 },
      headersTimeoutMs: 8000,
    });
    const refused = await rejection(client.request({ method: 'POST', path: '/blobs', body: { a: 1 } }));

    expect(answered).toMatchObject({ status: 201, body: { stored: true } });
    expect((refused as DomainError).code).toBe('UPSTREAM.TIMEOUT');
    expect((refused as DomainError).detail).toContain('no response headers in time');
  });

  it('enforces the overall deadline of a call even when the per-attempt timeouts are longer', async () => {
    const server = await startServer(() => {});
    const client = makeClient(server.url, { headersTimeoutMs: 5000 });

    const error = await rejection(client.request({ method: 'GET', path: '/slow', timeoutMs: 200 }));

    expect((error as DomainError).code).toBe('UPSTREAM.TIMEOUT');
    expect((error as DomainError).detail).toContain('deadline of 200 ms');
    expect(server.requests).toHaveLength(1);
  });

  it('reports connection refused as UPSTREAM.UNAVAILABLE naming the upstream but never the token', async () => {
    const port = await unusedPort();
    const client = makeClient(`http://127.0.0.1:${port}`);

    const error = await rejection(client.request({ method: 'GET', path: '/users' }));

    expect(error).toBeInstanceOf(DomainError);
    const domainError = error as DomainError;
    expect(domainError.code).toBe('UPSTREAM.UNAVAILABLE');
    expect(domainError.kind).toBe('unavailable');
    expect(domainError.detail).toContain('data-test');
    expect(domainError.detail).toContain('ECONNREFUSED');
    expect(`${domainError.message} ${domainError.detail} ${JSON.stringify(domainError)}`).not.toContain(
      TOKEN,
    );
  });

  it("rejects with the caller's own abort reason when the caller cancels", async () => {
    const server = await startServer(() => {});
    const client = makeClient(server.url);
    const controller = new AbortController();
    const reason = new Error('client went away');
    setTimeout(() => controller.abort(reason), 50);

    const error = await rejection(
      client.request({ method: 'GET', path: '/slow', signal: controller.signal }),
    );

    expect(error).toBe(reason);
    expect(server.requests).toHaveLength(1);
  });
});

describe('service client retry rule', () => {
  it('retries a GET on 503 until it succeeds', async () => {
    const server = await startServer(failingThenOk(2));
    const client = makeClient(server.url);

    const response = await client.request({ method: 'GET', path: '/items' });

    expect(response).toMatchObject({ status: 200, body: { ok: true } });
    expect(server.requests).toHaveLength(3);
  });

  it('never retries a POST that is not marked idempotent', async () => {
    const server = await startServer(failingThenOk(2));
    const client = makeClient(server.url);

    const error = await rejection(client.request({ method: 'POST', path: '/items', body: { name: 'x' } }));

    expect(isUpstreamHttpError(error, 503)).toBe(true);
    expect((error as UpstreamHttpError).kind).toBe('unavailable');
    expect(server.requests).toHaveLength(1);
  });

  it('retries a POST marked idempotent', async () => {
    const server = await startServer(failingThenOk(2));
    const client = makeClient(server.url);

    const response = await client.request({
      method: 'POST',
      path: '/items',
      body: { name: 'x' },
      headers: { 'Idempotency-Key': 'k-1' },
      idempotent: true,
    });

    expect(response.status).toBe(200);
    expect(server.requests).toHaveLength(3);
    expect(server.requests.every((request) => request.headers['idempotency-key'] === 'k-1')).toBe(true);
  });

  it('gives up after the retry budget and reports the last 503', async () => {
    const server = await startServer(failingThenOk(10));
    const client = makeClient(server.url);

    const error = await rejection(client.request({ method: 'GET', path: '/items' }));

    expect(isUpstreamHttpError(error, 503)).toBe(true);
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a 500: only 502, 503, 504 and 429 say the request was not handled', async () => {
    const server = await startServer((_req, res) =>
      sendJson(res, 500, { title: 'bug' }, 'application/problem+json'),
    );
    const client = makeClient(server.url);

    const error = await rejection(client.request({ method: 'GET', path: '/items' }));

    expect(isUpstreamHttpError(error, 500)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a 404 and hands over the parsed problem details', async () => {
    const server = await startServer((_req, res) =>
      sendJson(
        res,
        404,
        {
          type: 'urn:flotilla:problem:user.not-found',
          title: 'No such user',
          status: 404,
          code: 'USER.NOT_FOUND',
          detail: 'User 42 does not exist',
        },
        'application/problem+json',
      ),
    );
    const client = makeClient(server.url);

    const error = await rejection(client.request({ method: 'GET', path: '/users/42' }));

    expect(error).toBeInstanceOf(UpstreamHttpError);
    const httpError = error as UpstreamHttpError;
    expect(httpError.status).toBe(404);
    expect(httpError.code).toBe('UPSTREAM.HTTP_ERROR');
    expect(httpError.kind).toBe('internal');
    expect(httpError.upstreamCode).toBe('USER.NOT_FOUND');
    expect(httpError.problem).toMatchObject({
      title: 'No such user',
      status: 404,
      detail: 'User 42 does not exist',
    });
    expect(httpError.route).toBe('/users/:id');
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 429 after a Retry-After within the maximum delay', async () => {
    const server = await startServer((_req, res, index) => {
      if (index === 1) res.writeHead(429, { 'retry-after': '0' }).end();
      else sendJson(res, 200, { ok: true });
    });
    const client = makeClient(server.url);

    const response = await client.request({ method: 'GET', path: '/items' });

    expect(response.status).toBe(200);
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a 429 whose Retry-After exceeds the maximum delay', async () => {
    const server = await startServer((_req, res) => res.writeHead(429, { 'retry-after': '120' }).end());
    const client = makeClient(server.url);

    const error = await rejection(client.request({ method: 'GET', path: '/items' }));

    expect(isUpstreamHttpError(error, 429)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a 503 whose Retry-After exceeds the maximum delay, and passes that wait on', async () => {
    // A data service whose store did not answer within its own 5 s timeout says so.
    const server = await startServer((_req, res) =>
      sendJson(res.setHeader('retry-after', '5'), 503, {
        title: 'The database is unavailable',
        code: 'STORAGE.UNAVAILABLE',
        retry_after_seconds: 5,
      }),
    );
    const client = makeClient(server.url);

    const error = await rejection(client.request({ method: 'GET', path: '/items' }));

    expect(isUpstreamHttpError(error, 503)).toBe(true);
    expect((error as UpstreamHttpError).data).toEqual({ retry_after_seconds: 5 });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 503 whose Retry-After fits within the maximum delay', async () => {
    const server = await startServer((_req, res, index) => {
      if (index === 1) res.writeHead(503, { 'retry-after': '0' }).end();
      else sendJson(res, 200, { ok: true });
    });
    const client = makeClient(server.url);

    const response = await client.request({ method: 'GET', path: '/items' });

    expect(response.status).toBe(200);
    expect(server.requests).toHaveLength(2);
  });
});

describe('service client circuit breaker', () => {
  const breakerOptions = {
    retry: { retries: 0, baseDelayMs: 10, maxDelayMs: 50 },
    breaker: { failureThreshold: 3, halfOpenAfterMs: 200 },
  };

  it('opens after consecutive failures, fails fast without reaching the server, then closes after a good probe', async () => {
    let healthy = false;
    const server = await startServer((_req, res) => sendJson(res, healthy ? 200 : 500, { healthy }));
    const client = makeClient(server.url, breakerOptions);

    for (let i = 0; i < 3; i++) {
      expect(isUpstreamHttpError(await rejection(client.request({ method: 'GET', path: '/x' })), 500)).toBe(
        true,
      );
    }
    expect(client.circuitState()).toBe('open');

    const fastFailure = await rejection(client.request({ method: 'GET', path: '/x' }));
    expect((fastFailure as DomainError).code).toBe('UPSTREAM.CIRCUIT_OPEN');
    expect((fastFailure as DomainError).kind).toBe('unavailable');
    expect((fastFailure as DomainError).detail).toContain('data-test');
    expect(server.requests).toHaveLength(3);

    healthy = true;
    await sleep(250);
    const probe = await client.request({ method: 'GET', path: '/x' });
    expect(probe.status).toBe(200);
    expect(server.requests).toHaveLength(4);
    expect(client.circuitState()).toBe('closed');

    await client.request({ method: 'GET', path: '/x' });
    expect(server.requests).toHaveLength(5);
  });

  it('reopens when the half-open probe fails', async () => {
    const server = await startServer((_req, res) => sendJson(res, 503, {}));
    const client = makeClient(server.url, breakerOptions);
    for (let i = 0; i < 3; i++) await rejection(client.request({ method: 'GET', path: '/x' }));

    await sleep(250);
    const probeError = await rejection(client.request({ method: 'GET', path: '/x' }));
    const afterProbe = await rejection(client.request({ method: 'GET', path: '/x' }));

    expect(isUpstreamHttpError(probeError, 503)).toBe(true);
    expect((afterProbe as DomainError).code).toBe('UPSTREAM.CIRCUIT_OPEN');
    expect(server.requests).toHaveLength(4);
  });

  it('opens on connection failures too', async () => {
    const client = makeClient(`http://127.0.0.1:${await unusedPort()}`, breakerOptions);
    for (let i = 0; i < 3; i++) {
      expect(((await rejection(client.request({ method: 'GET', path: '/x' }))) as DomainError).code).toBe(
        'UPSTREAM.UNAVAILABLE',
      );
    }

    const error = await rejection(client.request({ method: 'GET', path: '/x' }));

    expect((error as DomainError).code).toBe('UPSTREAM.CIRCUIT_OPEN');
  });

  it('does not count 4xx answers as failures', async () => {
    const server = await startServer((_req, res) =>
      sendJson(res, 404, { code: 'X.NOT_FOUND', title: 'nope' }),
    );
    const client = makeClient(server.url, breakerOptions);

    for (let i = 0; i < 6; i++) {
      expect(isUpstreamHttpError(await rejection(client.request({ method: 'GET', path: '/x' })), 404)).toBe(
        true,
      );
    }

    expect(server.requests).toHaveLength(6);
    expect(client.circuitState()).toBe('closed');
  });
});

describe('service client streaming', () => {
  it('streams a 5 MiB request body to the server', async () => {
    const server = await startServer((req, res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (part: Buffer) => {
        bytes += part.length;
        hash.update(part);
      });
      req.on('end', () =>
        sendJson(res, 200, { bytes, sha256: hash.digest('hex'), type: req.headers['content-type'] }),
      );
    });
    const client = makeClient(server.url);

    const response = await client.request<{ bytes: number; sha256: string; type: string }>({
      method: 'PUT',
      path: '/blobs/b1',
      body: Readable.from(
        (function* () {
          for (let i = 0; i < CHUNKS; i++) yield chunk(i);
        })(),
      ),
    });

    expect(response.body).toEqual({
      bytes: CHUNK_SIZE * CHUNKS,
      sha256: expectedDigest(),
      type: 'application/octet-stream',
    });
  });

  it('never retries a streamed request body, even for an idempotent method', async () => {
    const server = await startServer(failingThenOk(2));
    const client = makeClient(server.url);

    const error = await rejection(
      client.request({ method: 'PUT', path: '/blobs/b1', body: Readable.from([Buffer.from('data')]) }),
    );

    expect(isUpstreamHttpError(error, 503)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('hands over a streamed response as soon as the headers arrive and streams 5 MiB through it', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await startServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(chunk(0));
      await released;
      for (let i = 1; i < CHUNKS; i++) {
        if (!res.write(chunk(i))) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    });
    const client = makeClient(server.url);

    const response = await Promise.race([
      client.stream({ method: 'GET', path: '/blobs/b1' }),
      sleep(2000).then(() => Promise.reject(new Error('stream() waited for the whole body'))),
    ]);
    expect(response.status).toBe(200);

    release();
    const hash = createHash('sha256');
    let bytes = 0;
    await pipeline(
      response.body,
      new Writable({
        write(part: Buffer, _encoding, callback) {
          bytes += part.length;
          hash.update(part);
          callback();
        },
      }),
    );
    expect(bytes).toBe(CHUNK_SIZE * CHUNKS);
    expect(hash.digest('hex')).toBe(expectedDigest());
  });

  it('refuses to buffer a response larger than maxResponseBytes', async () => {
    const server = await startServer((_req, res) => res.writeHead(200).end(Buffer.alloc(4096)));
    const client = makeClient(server.url, { maxResponseBytes: 1024 });

    const error = await rejection(client.request({ method: 'GET', path: '/big' }));

    expect((error as DomainError).code).toBe('UPSTREAM.BAD_RESPONSE');
  });
});

describe('service client observability', () => {
  it('records attempts by upstream, method, route template and status class, and counts retries', async () => {
    const server = await startServer(failingThenOk(1));
    const registry = new Registry();
    const client = makeClient(server.url, { metrics: registry });
    makeClient(server.url, { name: 'data-other', metrics: registry });

    await client.request({ method: 'GET', path: '/users/0190a8d4-6b3e-7c1d-9a2b-3c4d5e6f7a8b' });

    const text = await registry.metrics();
    expect(text).toContain(
      'http_client_request_duration_seconds_count{upstream="data-test",method="GET",route="/users/:id",status_class="5xx"} 1',
    );
    expect(text).toContain(
      'http_client_request_duration_seconds_count{upstream="data-test",method="GET",route="/users/:id",status_class="2xx"} 1',
    );
    expect(text).toContain(
      'http_client_retries_total{upstream="data-test",method="GET",route="/users/:id"} 1',
    );
    expect(text).toContain('http_client_circuit_state{upstream="data-other"} 0');
  });

  it('logs retries and circuit changes without the token', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(line: Buffer, _encoding, callback) {
        lines.push(line.toString());
        callback();
      },
    });
    const server = await startServer(failingThenOk(100));
    const client = makeClient(server.url, {
      logger: pino({ level: 'debug' }, destination),
      breaker: { failureThreshold: 2, halfOpenAfterMs: 200 },
    });

    await rejection(client.request({ method: 'GET', path: '/x' }));

    const output = lines.join('');
    expect(output).toContain('retrying GET /x on data-test');
    expect(output).toContain('circuit to data-test opened');
    expect(output).not.toContain(TOKEN);
  });
});
