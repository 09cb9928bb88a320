import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  type AnalyticsEvent,
  createDataMongoClient,
  type DataMongoClient,
  type MediaJob,
  type MediaSucceededData,
} from '@flotilla/contracts';
import type { EventEnvelope } from '@flotilla/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EventObserver,
  type LoadUser,
  type MediaSystem,
  observeEvents,
  smallPhotos,
  startMediaSystem,
  waitUntil,
} from '../support/media-system.js';
import { seededRandom } from '../support/seeded-random.js';

/**
 * Worker crashes under load: 500 photo jobs from several users are in flight while the worker is killed
 * with SIGKILL three times, at moments drawn from a seeded generator (the seed is printed; set
 * WORKER_KILL_SEED to replay a run), and started again each time. Then every job has succeeded, with
 * exactly one `media.succeeded`; job rows, analytics events and stored files agree; and the orphan-blob
 * sweep leaves no file that no job references (a worker killed between storing a result and completing
 * its job leaves two; an upload whose caller gave up leaves one). WORKER_KILL_JOBS changes the count.
 */

const JOBS = Number(process.env.WORKER_KILL_JOBS ?? 500);
const USERS = 5;
const KILLS = 3;
const SEED = Number(process.env.WORKER_KILL_SEED ?? randomBytes(4).readUInt32LE(0));
/** Files younger than this are never swept (short here, so the test sees the sweep at work). */
const GRACE_SECONDS = 10;
const SETTLE_MS = Number(process.env.WORKER_KILL_SETTLE_MS ?? 600_000);

let system: MediaSystem;
let observer: EventObserver | undefined;
let dataMongo: DataMongoClient;
let observed: EventEnvelope[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Uploads `count` photos as `user`, one after the other, waiting out a 503; returns the job ids. */
async function uploadPhotos(user: LoadUser, photos: readonly Buffer[], count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; ) {
    const form = new FormData();
    const photo = photos[n % photos.length] as Buffer;
    form.append('file', new Blob([photo], { type: 'image/jpeg' }), `photo-${n}.jpg`);
    const response = await fetch(`${system.apiUrl}/api/v1/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}` },
      body: form,
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await response.json()) as { id?: string };
    if (response.status === 503) {
      await sleep(1000);
      continue;
    }
    if (response.status !== 202 || !body.id) throw new Error(`upload answered ${response.status}`);
    ids.push(body.id);
    n += 1;
  }
  return ids;
}

const succeededOf = (jobId: string) =>
  observed.filter(
    (event) => event.event_type === 'media.succeeded' && (event.data as { job_id: string }).job_id === jobId,
  );

function distinctSucceeded(): number {
  return new Set(
    observed
      .filter((event) => event.event_type === 'media.succeeded')
      .map((event) => (event.data as { job_id: string }).job_id),
  ).size;
}

/**
 * Recorded analytics events of this type whose data names one of these owners (the worker's events carry
 * the owner in `data.owner_id`; this system's store holds only the test's own events).
 */
async function analyticsOf(owners: readonly string[], type: 'media.succeeded' | 'media.uploaded') {
  const wanted = new Set(owners);
  const events: AnalyticsEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await dataMongo.analytics.query({
      event_type: [type],
      limit: 200,
      ...(cursor && { cursor }),
    });
    events.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return events.filter((event) => wanted.has((event.data as { owner_id?: string }).owner_id ?? ''));
}

/** Ids of the files of these owners in the store. */
async function storedFileIds(owners: readonly string[]): Promise<string[]> {
  const files = await system
    .mongoDatabase()
    .collection('blobs.files')
    .find({ 'metadata.owner_id': { $in: [...owners] } }, { projection: { _id: 1 } })
    .toArray();
  return files.map((file) => String(file._id));
}

const referencedBy = (jobs: readonly MediaJob[]): string[] =>
  jobs.flatMap((job) => [
    job.original.blob_id,
    job.result?.blob_id ?? `no result of ${job.id}`,
    job.result?.thumbnail_blob_id ?? `no thumbnail of ${job.id}`,
  ]);

beforeAll(async () => {
  system = await startMediaSystem({
    label: 'worker-kill',
    workerEnv: {
      MESSAGE_RETRY_DELAYS_MS: '500,1000,2000',
      MEDIA_JOB_LEASE_SECONDS: '5',
      SCHEDULES_ENABLED: 'true',
      SCHEDULE_EXPIRED_LEASES_INTERVAL_MS: '1000',
      SCHEDULE_ORPHAN_BLOBS_INTERVAL_MS: '2000',
      ORPHAN_BLOBS_GRACE_SECONDS: String(GRACE_SECONDS),
    },
  });
  dataMongo = createDataMongoClient({
    baseUrl: system.services.dataMongoUrl,
    callerName: 'api',
    serviceToken: system.services.tokens.api,
  });
  observer = await observeEvents(system.rabbitmqUrl, ['media.#']);
  observed = observer.events;
}, 300_000);

afterAll(async () => {
  await observer?.close();
  await dataMongo?.close();
  await system?.stop();
}, 120_000);

describe('worker killed under load', () => {
  it(`${JOBS} photo jobs, the worker SIGKILLed ${KILLS} times: every job succeeds once, rows, events and files agree, no orphan file is left`, async () => {
    const random = seededRandom(SEED);
    // Kill i happens once a random share of the jobs (within its own slice of 10-85 %) has succeeded,
    // after a random pause of up to 300 ms: always while jobs are in flight.
    const kills = Array.from({ length: KILLS }, (_, i) => {
      const slice = 0.75 / KILLS;
      return {
        afterSucceeded: Math.round(JOBS * (0.1 + slice * i + slice * random())),
        pauseMs: Math.round(random() * 300),
      };
    });
    console.log(
      `worker kill: seed ${SEED} (WORKER_KILL_SEED=${SEED} replays it), kills ${JSON.stringify(kills)}`,
    );

    const users = await Promise.all(Array.from({ length: USERS }, () => system.registerUser()));
    const owners = users.map((user) => user.id);
    const photos = await smallPhotos(4);
    // A file its uploader gave up on (stored, never referenced): the sweep must take it too.
    const abandoned = await dataMongo.blobs.upload(
      Readable.from(photos[0] as Buffer),
      { filename: 'abandoned.jpg', owner_id: owners[0] as string, content_type: 'image/jpeg' },
      { contentLength: (photos[0] as Buffer).length },
    );

    const started = Date.now();
    const uploads = Promise.all(
      users.map((user, index) =>
        uploadPhotos(user, photos, Math.floor(JOBS / USERS) + (index < JOBS % USERS ? 1 : 0)),
      ),
    );
    let uploadFailure: unknown;
    uploads.catch((error: unknown) => {
      uploadFailure = error;
    });
    const killed: Array<{ atMs: number; succeeded: number }> = [];
    for (const kill of kills) {
      await waitUntil(
        `${kill.afterSucceeded} jobs succeeded`,
        () => {
          if (uploadFailure) throw uploadFailure;
          return distinctSucceeded() >= kill.afterSucceeded;
        },
        SETTLE_MS,
      );
      await sleep(kill.pauseMs);
      killed.push({ atMs: Date.now() - started, succeeded: distinctSucceeded() });
      await system.restartWorker('SIGKILL');
    }
    const jobIds = (await uploads).flat();
    const uploadedMs = Date.now() - started;
    expect(jobIds).toHaveLength(JOBS);

    await waitUntil(
      'every job finished',
      async () => {
        const jobs = await system.jobsOf(owners);
        return (
          jobs.length === JOBS && jobs.every((job) => job.status === 'succeeded' || job.status === 'failed')
        );
      },
      SETTLE_MS,
    );
    const settledMs = Date.now() - started;
    const jobs = await system.jobsOf(owners);
    expect(jobs.map((job) => job.id).sort()).toEqual([...jobIds].sort());
    const notSucceeded = jobs.filter((job) => job.status !== 'succeeded');
    expect(notSucceeded.map((job) => `${job.id} ${job.status} ${job.error?.code}`)).toEqual([]);

    // Exactly one media.succeeded per job: one event id (an announcement repeated after a kill between
    // publishing and acknowledging carries the same id, and consumers take it once).
    const unannounced = () => jobs.filter((job) => succeededOf(job.id).length === 0);
    await waitUntil('a media.succeeded of every job', () => unannounced().length === 0, 30_000).catch(
      () => undefined,
    );
    expect(unannounced().map((job) => `${job.id} attempts ${job.attempts}`)).toEqual([]);
    await sleep(3000);
    const eventIds = jobs.map((job) => new Set(succeededOf(job.id).map((event) => event.event_id)));
    expect(eventIds.filter((ids) => ids.size !== 1).map((ids) => [...ids])).toEqual([]);
    const repeated = jobs.filter((job) => succeededOf(job.id).length > 1).length;
    for (const job of jobs) {
      const event = succeededOf(job.id)[0] as EventEnvelope<MediaSucceededData>;
      expect(event.data.result).toEqual(job.result);
      expect(event.data.attempts).toBe(job.attempts);
    }
    const attempts: Record<string, number> = {};
    for (const job of jobs) attempts[job.attempts] = (attempts[job.attempts] ?? 0) + 1;
    expect(jobs.some((job) => job.attempts > 1)).toBe(true);

    // Analytics recorded each success once, matching the job row.
    await waitUntil(
      'analytics caught up',
      async () => (await analyticsOf(owners, 'media.succeeded')).length >= JOBS,
      60_000,
    );
    const recorded = await analyticsOf(owners, 'media.succeeded');
    const byJob = new Map<string, AnalyticsEvent[]>();
    for (const event of recorded) {
      const jobId = (event.data as { job_id: string }).job_id;
      byJob.set(jobId, [...(byJob.get(jobId) ?? []), event]);
    }
    for (const job of jobs) {
      const events = byJob.get(job.id) ?? [];
      expect(events, `analytics media.succeeded of ${job.id}`).toHaveLength(1);
      expect((events[0] as AnalyticsEvent).data).toMatchObject({ result: job.result });
    }
    expect(
      new Set((await analyticsOf(owners, 'media.uploaded')).map((e) => (e.data as { job_id: string }).job_id))
        .size,
    ).toBe(JOBS);

    // Files: no two jobs share a result; what the kills left behind is swept, nothing a job needs is.
    const needed = new Set(referencedBy(jobs));
    expect(needed.size).toBe(JOBS * 3);
    const orphansBefore = (await storedFileIds(owners)).filter((id) => !needed.has(id));
    await waitUntil(
      'the orphan sweep',
      async () => (await storedFileIds(owners)).length === JOBS * 3,
      (GRACE_SECONDS + 30) * 1000,
    );
    const stored = new Set(await storedFileIds(owners));
    // The sweep runs all along: the abandoned upload may be gone before the jobs settle; gone it is.
    expect(stored.has(abandoned.id)).toBe(false);
    expect([...needed].filter((id) => !stored.has(id))).toEqual([]);
    expect((await system.blobsOf(owners)).orphanChunks).toBe(0);

    console.log(
      'worker kill:',
      JSON.stringify({
        seed: SEED,
        jobs: JOBS,
        killed,
        uploaded_ms: uploadedMs,
        settled_ms: settledMs,
        attempts,
        repeated_announcements: repeated,
        orphan_files_at_settle: orphansBefore.length,
        orphan_files_after_sweep: 0,
      }),
    );
  });
});
