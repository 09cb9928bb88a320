import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { freePort } from './helpers/service-process.js';

/**
 * The gateway's own answers, through the real nginx with the project's config: the login rate limit
 * (429) and the body limit (413) come back as problem+json carrying the request id, like the api's.
 * Behind it, a plain HTTP server stands in for the api (these answers never reach it).
 */

let upstream: Server;
let gateway: TestGateway;
let reachedUpstream = 0;

beforeAll(async () => {
  upstream = createServer((request, response) => {
    reachedUpstream += 1;
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const apiPort = (upstream.address() as AddressInfo).port;
  gateway = await startTestGateway(await freePort(), [apiPort], {
    maxBodySize: '8k',
    authRate: '1r/m',
    authBurst: 2,
  });
});

afterAll(async () => {
  await gateway?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('the gateway', () => {
  it('answers logins past the rate limit with 429 problem+json, Retry-After and the request id', async () => {
    const answers: Response[] = [];
    for (let n = 0; n < 6; n += 1) {
      answers.push(
        await fetch(`${gateway.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': `limit-test-${n}` },
          body: JSON.stringify({ email: 'a@example.test', password: 'not checked here' }),
        }),
      );
    }
    const limited = answers.filter((answer) => answer.status === 429);
    // The burst passes (to the stand-in api), everything past it is refused by the gateway itself.
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(3);
    expect(limited).toHaveLength(3);
    for (const answer of limited) {
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      const requestId = answer.headers.get('x-request-id');
      expect(requestId).toMatch(/^limit-test-\d$/);
      expect(await answer.json()).toMatchObject({
        status: 429,
        code: 'GATEWAY.RATE_LIMITED',
        request_id: requestId,
      });
    }
  });

  it('answers a body over its limit with 413 problem+json and the request id, without reaching the api', async () => {
    const before = reachedUpstream;
    const answer = await fetch(`${gateway.url}/api/v1/media`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-request-id': 'too-large-1' },
      body: Buffer.alloc(64 * 1024, 1),
    });
    expect(answer.status).toBe(413);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(await answer.json()).toMatchObject({
      status: 413,
      code: 'GATEWAY.PAYLOAD_TOO_LARGE',
      request_id: 'too-large-1',
    });
    expect(reachedUpstream).toBe(before);
  });
});
