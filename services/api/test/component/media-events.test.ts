import type { MediaJob } from '@flotilla/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness, type TestUser } from '../support/api-harness.js';
import { COVERED_ROUTES } from '../support/covered-routes.js';
import { pngImage } from '../support/media-fixtures.js';
import { fileForm } from '../support/media-multipart.js';
import { readSse } from '../support/media-sse.js';
import { expectRoutesHit } from '../support/route-coverage.js';

let harness: ApiHarness;
let alice: TestUser;
let baseUrl: string;

beforeAll(async () => {
  harness = await startApiHarness({
    label: 'media-events',
    env: { MEDIA_EVENTS_POLL_MS: '50', MEDIA_EVENTS_HEARTBEAT_SECONDS: '1' },
  });
  alice = await harness.registerAndLogin();
  // Streaming needs a real socket: inject() would only return once the stream has ended.
  baseUrl = await harness.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  if (harness) expectRoutesHit(harness.hits, COVERED_ROUTES['media-events.test.ts']);
  await harness?.stop();
});

async function uploadPhoto(): Promise<MediaJob> {
  const form = fileForm('watch.png', pngImage());
  const response = await harness.inject({
    method: 'POST',
    url: '/api/v1/media',
    payload: form.payload,
    headers: { ...alice.headers, ...form.headers },
  });
  expect(response.statusCode).toBe(202);
  return response.json<MediaJob>();
}

async function openEvents(jobId: string, user = alice) {
  const response = await fetch(`${baseUrl}/api/v1/media/${jobId}/events`, { headers: user.headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  expect(response.headers.get('cache-control')).toContain('no-cache');
  return readSse(response.body as ReadableStream<Uint8Array>);
}

const lease = (id: string) => ({ lease_owner: `sse-test:${id}`, lease_seconds: 60 });

describe("following a job's status over Server-Sent Events", () => {
  it('delivers each change through to the terminal state, then a final event, then closes', async () => {
    const job = await uploadPhoto();
    const { mediaJobs } = harness.deps.dataPostgres;
    const stream = await openEvents(job.id);

    const initial = await stream.nextEvent();
    expect(initial?.event).toBe('status');
    expect(JSON.parse(initial?.data ?? '{}')).toMatchObject({ id: job.id, status: 'queued', progress: 0 });

    await mediaJobs.claim(job.id, lease(job.id));
    expect(JSON.parse((await stream.nextEvent())?.data ?? '{}')).toMatchObject({
      status: 'processing',
      attempts: 1,
    });

    await mediaJobs.progress(job.id, { lease_owner: lease(job.id).lease_owner, progress: 60 });
    expect(JSON.parse((await stream.nextEvent())?.data ?? '{}')).toMatchObject({
      status: 'processing',
      progress: 60,
    });

    await mediaJobs.complete(job.id, {
      lease_owner: lease(job.id).lease_owner,
      result: { content_type: 'image/webp', size_bytes: 10, width: 4, height: 4 },
    });
    const succeeded = await stream.nextEvent();
    expect(succeeded?.event).toBe('status');
    expect(JSON.parse(succeeded?.data ?? '{}')).toMatchObject({ status: 'succeeded', progress: 100 });

    const end = await stream.nextEvent();
    expect(end?.event).toBe('end');
    expect(JSON.parse(end?.data ?? '{}')).toMatchObject({ reason: 'terminal', job: { status: 'succeeded' } });
    expect(await stream.next()).toBeUndefined();
  });

  it('ends with the failure when the job fails for good', async () => {
    const job = await uploadPhoto();
    const { mediaJobs } = harness.deps.dataPostgres;
    const stream = await openEvents(job.id);
    expect((await stream.nextEvent())?.event).toBe('status');
    await mediaJobs.claim(job.id, lease(job.id));
    expect(JSON.parse((await stream.nextEvent())?.data ?? '{}').status).toBe('processing');
    await mediaJobs.fail(job.id, {
      lease_owner: lease(job.id).lease_owner,
      error: { code: 'MEDIA.CORRUPT', message: 'The image cannot be decoded' },
      retryable: false,
    });
    const failed = JSON.parse((await stream.nextEvent())?.data ?? '{}');
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'MEDIA.CORRUPT' } });
    expect((await stream.nextEvent())?.event).toBe('end');
    expect(await stream.next()).toBeUndefined();
  });

  it('sends heartbeat comments while nothing changes, and ends when the job is deleted', async () => {
    const job = await uploadPhoto();
    const stream = await openEvents(job.id);
    expect((await stream.nextEvent())?.event).toBe('status');
    let frame = await stream.next();
    while (frame && frame.comment === undefined) frame = await stream.next();
    expect(frame?.comment).toBe('heartbeat');

    const deleted = await harness.inject({
      method: 'DELETE',
      url: `/api/v1/media/${job.id}`,
      headers: alice.headers,
    });
    expect(deleted.statusCode).toBe(204);
    const end = await stream.nextEvent();
    expect(end?.event).toBe('end');
    expect(JSON.parse(end?.data ?? '{}').reason).toBe('deleted');
    expect(await stream.next()).toBeUndefined();
  });

  it("answers 404 for someone else's job and 401 without a token, before any stream starts", async () => {
    const job = await uploadPhoto();
    const bob = await harness.registerAndLogin();
    const foreign = await harness.inject({ url: `/api/v1/media/${job.id}/events`, headers: bob.headers });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.headers['content-type']).toContain('application/problem+json');
    const anonymous = await harness.inject({ url: `/api/v1/media/${job.id}/events` });
    expect(anonymous.statusCode).toBe(401);
  });

  // Last: it closes the app.
  it('ends open streams when the app closes, so a graceful shutdown is not held up', async () => {
    const job = await uploadPhoto();
    const stream = await openEvents(job.id);
    expect((await stream.nextEvent())?.event).toBe('status');
    const closing = harness.app.close();
    expect(await stream.nextEvent()).toBeUndefined();
    // As the service's shutdown does (startHttpService sweeps idle connections while draining).
    harness.app.server.closeIdleConnections();
    await closing;
  });
});
