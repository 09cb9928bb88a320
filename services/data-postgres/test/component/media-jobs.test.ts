import type { MediaJob, User } from '@flotilla/contracts';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJob, createUser, jobBody } from '../helpers/fixtures.js';
import { createTestService, type TestService } from '../helpers/test-service.js';

let service: TestService;
let owner: User;
beforeAll(async () => {
  service = await createTestService();
  owner = await createUser(service);
});
afterAll(async () => service?.close());

const post = (url: string, payload: object = {}) =>
  service.app.inject({ method: 'POST', url, headers: service.auth, payload });
const get = (url: string) => service.app.inject({ url, headers: service.auth });
const claim = (id: string, leaseOwner = 'worker-a', leaseSeconds = 60) =>
  post(`/api/v1/media-jobs/${id}/claim`, { lease_owner: leaseOwner, lease_seconds: leaseSeconds });

/** Moves a job's lease (or its last change) into the past, as time passing would. */
async function age(id: string, column: 'lease_expires_at' | 'updated_at', seconds: number) {
  await sql`update media_jobs set ${sql.ref(column)} = now() - make_interval(secs => ${seconds}) where id = ${id}`.execute(
    service.deps.database.db,
  );
}

describe('creating and reading media jobs', () => {
  it('creates a queued job with its original file and reads it back', async () => {
    const response = await post(
      '/api/v1/media-jobs',
      jobBody(owner.id, { source: 'telegram', max_attempts: 5 }),
    );
    expect(response.statusCode).toBe(201);
    const job = response.json<MediaJob>();
    expect(job).toMatchObject({
      owner_id: owner.id,
      kind: 'photo',
      source: 'telegram',
      status: 'queued',
      attempts: 0,
      max_attempts: 5,
      progress: 0,
      lease_owner: null,
      result: null,
      error: null,
      original: { filename: 'cat.jpg', content_type: 'image/jpeg', size_bytes: 2_345_678 },
    });
    expect((await get(`/api/v1/media-jobs/${job.id}`)).json()).toEqual(job);
  });

  it('answers 422 JOB.OWNER_NOT_FOUND for an unknown owner, 404 for an unknown job, 422 for bad input', async () => {
    const orphan = await post('/api/v1/media-jobs', jobBody('0190a6e4-0000-7000-8000-000000000000'));
    expect(orphan.statusCode).toBe(422);
    expect(orphan.json().code).toBe('JOB.OWNER_NOT_FOUND');
    expect((await get('/api/v1/media-jobs/0190a6e4-0000-7000-8000-000000000000')).json().code).toBe(
      'JOB.NOT_FOUND',
    );
    const bad = await post('/api/v1/media-jobs', { ...jobBody(owner.id), kind: 'video', extra: 1 });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((error: { field: string }) => error.field)).toEqual(
      expect.arrayContaining(['/body/kind', '/body/extra']),
    );
    const negative = await post('/api/v1/media-jobs', {
      ...jobBody(owner.id),
      original: { ...jobBody(owner.id).original, size_bytes: -1 },
    });
    expect(negative.json().errors[0].field).toBe('/body/original/size_bytes');
  });

  it('lists by owner and status, newest first, across pages', async () => {
    const someone = await createUser(service);
    const jobs = [];
    for (let i = 0; i < 5; i += 1)
      jobs.push(await createJob(service, someone.id, i === 2 ? { kind: 'document' } : {}));
    await claim(jobs[4]?.id ?? '');
    const first = (await get(`/api/v1/media-jobs?owner_id=${someone.id}&limit=3`)).json();
    const second = (
      await get(`/api/v1/media-jobs?owner_id=${someone.id}&limit=3&cursor=${first.next_cursor}`)
    ).json();
    expect(second.next_cursor).toBeNull();
    expect([...first.items, ...second.items].map((job: MediaJob) => job.id)).toEqual(
      jobs.map((job) => job.id).reverse(),
    );
    const queued = (await get(`/api/v1/media-jobs?owner_id=${someone.id}&status=queued`)).json();
    expect(queued.items).toHaveLength(4);
    const documents = (await get(`/api/v1/media-jobs?owner_id=${someone.id}&kind=document`)).json();
    expect(documents.items.map((job: MediaJob) => job.id)).toEqual([jobs[2]?.id]);
  });
});

describe('claiming a job', () => {
  it('gives the job to exactly one of 20 concurrent claimers and counts one attempt', async () => {
    const job = await createJob(service, owner.id);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(job.id, `worker-${i}`)));
    const winners = results.filter((result) => result.statusCode === 200);
    expect(winners).toHaveLength(1);
    const losers = results.filter((result) => result.statusCode === 409);
    expect(losers).toHaveLength(19);
    for (const loser of losers) expect(loser.json().code).toBe('JOB.ALREADY_LEASED');
    const claimed = winners[0]?.json<MediaJob>();
    expect(claimed).toMatchObject({ status: 'processing', attempts: 1 });
    expect(Date.parse(claimed?.lease_expires_at ?? '')).toBeGreaterThan(Date.now() + 50_000);
    expect(claimed?.started_at).not.toBeNull();
  });

  it('lets another worker take over once the lease expired, and stops when the attempts are used up', async () => {
    const job = await createJob(service, owner.id, { max_attempts: 2 });
    expect((await claim(job.id, 'worker-a')).statusCode).toBe(200);
    await age(job.id, 'lease_expires_at', 1);
    const takeover = await claim(job.id, 'worker-b');
    expect(takeover.json()).toMatchObject({ lease_owner: 'worker-b', attempts: 2 });
    const late = await post(`/api/v1/media-jobs/${job.id}/progress`, {
      lease_owner: 'worker-a',
      progress: 50,
    });
    expect(late.json().code).toBe('JOB.LEASE_LOST');
    await age(job.id, 'lease_expires_at', 1);
    const exhausted = await claim(job.id, 'worker-c');
    expect(exhausted.statusCode).toBe(409);
    expect(exhausted.json()).toMatchObject({ code: 'JOB.ATTEMPTS_EXHAUSTED', attempts: 2, max_attempts: 2 });
  });

  it('refuses to claim a finished job (JOB.ILLEGAL_TRANSITION) or an unknown one (404)', async () => {
    const job = await createJob(service, owner.id);
    await claim(job.id, 'worker-a');
    await post(`/api/v1/media-jobs/${job.id}/complete`, { lease_owner: 'worker-a' });
    const again = await claim(job.id, 'worker-b');
    expect(again.json()).toMatchObject({ code: 'JOB.ILLEGAL_TRANSITION', job_status: 'succeeded' });
    expect((await claim('0190a6e4-0000-7000-8000-000000000000')).statusCode).toBe(404);
    expect(
      (await post(`/api/v1/media-jobs/${job.id}/claim`, { lease_owner: 'w', lease_seconds: 0 })).statusCode,
    ).toBe(422);
  });
});

describe('working on a claimed job', () => {
  it('records progress and extends the lease only for the lease owner', async () => {
    const job = await createJob(service, owner.id);
    const claimed = (await claim(job.id, 'worker-a', 10)).json<MediaJob>();
    const progressed = await post(`/api/v1/media-jobs/${job.id}/progress`, {
      lease_owner: 'worker-a',
      progress: 40,
      lease_seconds: 600,
    });
    expect(progressed.json().progress).toBe(40);
    expect(Date.parse(progressed.json().lease_expires_at)).toBeGreaterThan(
      Date.parse(claimed.lease_expires_at ?? ''),
    );
    const intruder = await post(`/api/v1/media-jobs/${job.id}/progress`, {
      lease_owner: 'worker-b',
      progress: 90,
    });
    expect(intruder.statusCode).toBe(409);
    expect(intruder.json()).toMatchObject({ code: 'JOB.LEASE_LOST', job_status: 'processing' });
    expect(
      (await post(`/api/v1/media-jobs/${job.id}/progress`, { lease_owner: 'worker-a', progress: 101 }))
        .statusCode,
    ).toBe(422);
  });

  it('completes with the result, clearing the lease; a second completion is refused', async () => {
    const job = await createJob(service, owner.id);
    await claim(job.id, 'worker-a');
    const result = {
      blob_id: 'result01',
      content_type: 'image/webp',
      size_bytes: 345_678,
      width: 2048,
      height: 1536,
      original_width: 4032,
      original_height: 3024,
      thumbnail_blob_id: 'thumb01',
      thumbnail_size_bytes: 12_345,
      bytes_saved: 2_000_000,
    };
    const done = await post(`/api/v1/media-jobs/${job.id}/complete`, { lease_owner: 'worker-a', result });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({
      status: 'succeeded',
      progress: 100,
      lease_owner: null,
      lease_expires_at: null,
      result,
    });
    expect(done.json().finished_at).not.toBeNull();
    const twice = await post(`/api/v1/media-jobs/${job.id}/complete`, { lease_owner: 'worker-a', result });
    expect(twice.json()).toMatchObject({ code: 'JOB.LEASE_LOST', job_status: 'succeeded' });
  });

  it('sends a retryable failure back to the queue while attempts remain, then fails for good', async () => {
    const job = await createJob(service, owner.id, { max_attempts: 2 });
    const error = { code: 'MEDIA.DECODE_FAILED', message: 'Corrupt JPEG data' };
    await claim(job.id, 'worker-a');
    const retried = await post(`/api/v1/media-jobs/${job.id}/fail`, {
      lease_owner: 'worker-a',
      error,
      retryable: true,
    });
    expect(retried.json()).toMatchObject({
      status: 'queued',
      attempts: 1,
      error,
      lease_owner: null,
      finished_at: null,
    });
    await claim(job.id, 'worker-b');
    const failed = await post(`/api/v1/media-jobs/${job.id}/fail`, {
      lease_owner: 'worker-b',
      error,
      retryable: true,
    });
    expect(failed.json()).toMatchObject({ status: 'failed', attempts: 2, error });
    expect(failed.json().finished_at).not.toBeNull();
  });

  it('fails at once when the failure is not retryable', async () => {
    const job = await createJob(service, owner.id);
    await claim(job.id, 'worker-a');
    const error = { code: 'MEDIA.TOO_LARGE', message: 'Pixel limit exceeded' };
    const failed = await post(`/api/v1/media-jobs/${job.id}/fail`, {
      lease_owner: 'worker-a',
      error,
      retryable: false,
    });
    expect(failed.json()).toMatchObject({ status: 'failed', attempts: 1, error });
    const badCode = await post(`/api/v1/media-jobs/${job.id}/fail`, {
      lease_owner: 'worker-a',
      error: { code: 'lower case', message: 'x' },
      retryable: false,
    });
    expect(badCode.statusCode).toBe(422);
  });
});

describe('releasing a job the infrastructure stopped', () => {
  it('puts it back in the queue with its attempt given back and the reason recorded; only the lease owner may', async () => {
    const job = await createJob(service, owner.id, { max_attempts: 1 });
    expect((await claim(job.id, 'worker-a')).json()).toMatchObject({ status: 'processing', attempts: 1 });
    const reason = { code: 'UPSTREAM.TIMEOUT', message: 'data-mongo did not answer in time' };
    const stranger = await post(`/api/v1/media-jobs/${job.id}/release`, {
      lease_owner: 'worker-b',
      error: reason,
    });
    expect(stranger.statusCode).toBe(409);
    expect(stranger.json().code).toBe('JOB.LEASE_LOST');

    const released = await post(`/api/v1/media-jobs/${job.id}/release`, {
      lease_owner: 'worker-a',
      error: reason,
    });
    expect(released.statusCode).toBe(200);
    expect(released.json()).toMatchObject({
      status: 'queued',
      attempts: 0,
      error: reason,
      lease_owner: null,
      progress: 0,
      finished_at: null,
    });
    // Its only attempt was given back, so it can be claimed again (and completed).
    expect((await claim(job.id, 'worker-c')).json()).toMatchObject({ status: 'processing', attempts: 1 });
    const done = await post(`/api/v1/media-jobs/${job.id}/complete`, { lease_owner: 'worker-c' });
    expect(done.json()).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    // A finished job is no one's to release.
    expect((await post(`/api/v1/media-jobs/${job.id}/release`, { lease_owner: 'worker-c' })).statusCode).toBe(
      409,
    );
  });
});

describe('requeueing and the schedules', () => {
  it('lists jobs whose lease expired and requeues them, recording why', async () => {
    const job = await createJob(service, owner.id);
    await claim(job.id, 'worker-a');
    const early = await post(`/api/v1/media-jobs/${job.id}/requeue`);
    expect(early.json().code).toBe('JOB.LEASE_ACTIVE');
    await age(job.id, 'lease_expires_at', 5);
    const expired = (await get('/api/v1/media-jobs/expired-leases?limit=500')).json();
    expect(expired.items.map((item: MediaJob) => item.id)).toContain(job.id);
    const requeued = await post(`/api/v1/media-jobs/${job.id}/requeue`);
    expect(requeued.json()).toMatchObject({
      status: 'queued',
      attempts: 1,
      lease_owner: null,
      error: { code: 'JOB.LEASE_EXPIRED' },
    });
    const stale = await post(`/api/v1/media-jobs/${job.id}/complete`, { lease_owner: 'worker-a' });
    expect(stale.json().code).toBe('JOB.LEASE_LOST');
  });

  it('fails an expired job that has no attempts left instead of requeueing it', async () => {
    const job = await createJob(service, owner.id, { max_attempts: 1 });
    await claim(job.id, 'worker-a');
    await age(job.id, 'lease_expires_at', 5);
    const error = { code: 'WORKER.LOST', message: 'The worker vanished' };
    const requeued = await post(`/api/v1/media-jobs/${job.id}/requeue`, { error });
    expect(requeued.json()).toMatchObject({ status: 'failed', error });
  });

  it('retries a failed job from zero attempts, and refuses to requeue a queued or succeeded job', async () => {
    const job = await createJob(service, owner.id);
    await claim(job.id, 'worker-a');
    await post(`/api/v1/media-jobs/${job.id}/fail`, {
      lease_owner: 'worker-a',
      error: { code: 'MEDIA.X', message: 'x' },
      retryable: false,
    });
    const retried = await post(`/api/v1/media-jobs/${job.id}/requeue`);
    expect(retried.json()).toMatchObject({ status: 'queued', attempts: 0, error: null, finished_at: null });
    const queued = await post(`/api/v1/media-jobs/${job.id}/requeue`);
    expect(queued.json()).toMatchObject({ code: 'JOB.ILLEGAL_TRANSITION', job_status: 'queued' });
  });

  it('lists jobs queued for longer than the given age, oldest first', async () => {
    const old = await createJob(service, owner.id);
    const older = await createJob(service, owner.id);
    const fresh = await createJob(service, owner.id);
    await age(old.id, 'updated_at', 120);
    await age(older.id, 'updated_at', 300);
    const response = await get('/api/v1/media-jobs/stale-queued?older_than_seconds=60&limit=500');
    const ids = response.json().items.map((item: MediaJob) => item.id);
    expect(ids.indexOf(older.id)).toBeLessThan(ids.indexOf(old.id));
    expect(ids).toContain(old.id);
    expect(ids).not.toContain(fresh.id);
    expect((await get('/api/v1/media-jobs/stale-queued')).statusCode).toBe(422);
  });
});
