import { Agent, type ClientRequest, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness, type TestUser, waitFor } from '../support/api-harness.js';
import { jpegLike } from '../support/media-fixtures.js';
import { fileForm, storedBlobBytes } from '../support/media-multipart.js';

// Real sockets here (not inject): what is under test is what a client on the wire receives.
let harness: ApiHarness;
let alice: TestUser;
let base: URL;

beforeAll(async () => {
  harness = await startApiHarness({
    label: 'upload-backpressure',
    env: {
      UPLOADS_MAX_IN_FLIGHT: '1',
      UPLOADS_RETRY_AFTER_SECONDS: '3',
      MEDIA_MAX_UPLOAD_BYTES: String(8 << 20),
    },
  });
  alice = await harness.registerAndLogin();
  await harness.app.listen({ host: '127.0.0.1', port: 0 });
  base = new URL(`http://127.0.0.1:${(harness.app.server.address() as AddressInfo).port}`);
});
afterAll(async () => harness?.stop());

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  reusedSocket: boolean;
  /** The whole request body was taken by the server (within 10 s of the answer), not cut off. */
  bodySent: boolean;
}

/**
 * Sends a request (its body written whole, as a client does that does not wait for an early answer),
 * collects the answer, and waits (up to 10 s) for the server to take the rest of the body.
 */
function send(
  method: string,
  path: string,
  body: Buffer | undefined,
  headers: Record<string, string>,
  agent?: Agent,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call: ClientRequest = request(new URL(path, base), { method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', async () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          reusedSocket: call.reusedSocket,
          bodySent: await sent,
        }),
      );
    });
    call.on('error', reject);
    const sent = new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), 10_000);
      call.once('finish', () => {
        clearTimeout(timer);
        done(true);
      });
    });
    call.end(body);
  });
}

/** Starts an upload and sends only the first part of its body: it holds an upload place until `finish`. */
function holdUpload(content: Buffer) {
  const form = fileForm('held.jpg', content, 'image/jpeg');
  const held = { answer: undefined as unknown as Promise<Answer>, finish: () => undefined as unknown };
  held.answer = new Promise((resolve, reject) => {
    const call = request(
      new URL('/api/v1/media', base),
      {
        method: 'POST',
        headers: { ...alice.headers, ...form.headers, 'content-length': String(form.payload.length) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            reusedSocket: false,
            bodySent: true,
          }),
        );
      },
    );
    call.on('error', reject);
    call.write(form.payload.subarray(0, 64 * 1024));
    held.finish = () => call.end(form.payload.subarray(64 * 1024));
  });
  return held;
}

describe('uploads when every upload place is taken', () => {
  it('are refused at once with 503 UPLOAD.BUSY and Retry-After, the answer reaches the client and the connection stays usable', async () => {
    const holder = holdUpload(jpegLike(1 << 20));
    await waitFor(
      'the first upload holds the only place',
      () => harness.deps.media.uploadGate.inFlight === 1,
    );
    const storedBefore = await storedBlobBytes(harness.services);
    const jobsBefore = (await harness.deps.dataPostgres.mediaJobs.list({ owner_id: alice.user.id })).items
      .length;

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const photo = fileForm('busy.jpg', jpegLike(3 << 20), 'image/jpeg');
      const refused = await send(
        'POST',
        '/api/v1/media',
        photo.payload,
        { ...alice.headers, ...photo.headers },
        agent,
      );
      expect(refused.status).toBe(503);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.headers['retry-after']).toBe('3');
      expect(JSON.parse(refused.body)).toMatchObject({
        status: 503,
        code: 'UPLOAD.BUSY',
        retry_after_seconds: 3,
      });
      // Answered while the first upload is still in progress: no waiting for a place.
      expect(harness.deps.media.uploadGate.inFlight).toBe(1);

      const document = fileForm('notes.txt', Buffer.from('a note\n'.repeat(50_000)), 'text/plain');
      const alsoRefused = await send(
        'POST',
        '/api/v1/knowledge/documents',
        document.payload,
        { ...alice.headers, ...document.headers },
        agent,
      );
      expect(alsoRefused.status).toBe(503);
      expect(JSON.parse(alsoRefused.body).code).toBe('UPLOAD.BUSY');
      // The refused bodies were drained: the same connection carries the next request.
      expect(alsoRefused.reusedSocket).toBe(true);
      const list = await send('GET', '/api/v1/media', undefined, alice.headers, agent);
      expect(list.status).toBe(200);
      expect(list.reusedSocket).toBe(true);
    } finally {
      agent.destroy();
    }

    // Nothing of the refused uploads was stored or recorded.
    expect(await storedBlobBytes(harness.services)).toBe(storedBefore);
    expect((await harness.deps.dataPostgres.mediaJobs.list({ owner_id: alice.user.id })).items).toHaveLength(
      jobsBefore,
    );

    holder.finish();
    const accepted = await holder.answer;
    expect(accepted.status).toBe(202);
    await waitFor('the place is free again', () => harness.deps.media.uploadGate.inFlight === 0);
    const metrics = await harness.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^api_uploads_rejected_total({[^}]*})? 2$/m);
  });

  it('an upload refused midway (too large) gets its 413, and the rest of its body is drained rather than cut off', async () => {
    const storedBefore = await storedBlobBytes(harness.services);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const huge = fileForm('huge.jpg', jpegLike(12 << 20), 'image/jpeg');
      const refused = await send(
        'POST',
        '/api/v1/media',
        huge.payload,
        { ...alice.headers, ...huge.headers },
        agent,
      );
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body).code).toBe('MEDIA.TOO_LARGE');
      expect(refused.bodySent).toBe(true);
      const list = await send('GET', '/api/v1/media', undefined, alice.headers, agent);
      expect(list.status).toBe(200);
    } finally {
      agent.destroy();
    }
    expect(await storedBlobBytes(harness.services)).toBe(storedBefore);
  });
});
