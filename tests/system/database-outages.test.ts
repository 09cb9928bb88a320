import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadUser, type MediaSystem, phonePhotos, startMediaSystem } from '../support/media-system.js';
import { describeAnswers, runOutage, settledJobs, uploadPhotos } from '../support/outage-phases.js';
import { type PostgresInstance, startPostgresInstance } from '../support/postgres-instance.js';
import {
  answersWithin,
  type LoadAnswer,
  type LoadLoop,
  slowest,
  slowestAnswers,
  tally,
} from '../support/request-load.js';

/**
 * PostgreSQL, then the MongoDB-wire store, stopped for 20 s each under a mixed load on the api (job
 * status, job list, profile reads and updates, uploads, downloads), with every service as its own
 * process on a PostgreSQL cluster of the test's own. What needs the stopped database answers 503
 * problem+json within the api's upstream timeout (no hang, no 500, no reset); what does not keeps
 * answering; photo jobs accepted before the outage wait and then complete; everything works again once
 * the database is back, and no service restarted.
 */

const OUTAGE_MS = 20_000;

let postgres: PostgresInstance;
let system: MediaSystem;
let smallPhoto: Buffer;
let photos: Buffer[];
let pids: Record<string, number | undefined>;

beforeAll(async () => {
  postgres = await startPostgresInstance();
  system = await startMediaSystem({
    label: 'database-outages',
    postgresUrl: postgres.url,
    workerEnv: {
      // Deferred messages come back after 1 s, then 2 s, then every 5 s while a database is down.
      MESSAGE_RETRY_DELAYS_MS: '1000,2000,5000',
      SCHEDULES_ENABLED: 'true',
      SCHEDULE_EXPIRED_LEASES_INTERVAL_MS: '2000',
    },
  });
  smallPhoto = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#3a6' } })
    .jpeg()
    .toBuffer();
  photos = await phonePhotos(2);
  pids = processIds();
}, 240_000);

afterAll(async () => {
  await system?.stop();
  await postgres?.close();
}, 120_000);

function processIds(): Record<string, number | undefined> {
  return {
    api: system.api.child.pid,
    worker: system.worker.child.pid,
    dataPostgres: system.services.processes.dataPostgres.child.pid,
    dataMongo: system.services.processes.dataMongo.child.pid,
  };
}

function loopsFor(user: LoadUser, doneJob: string): LoadLoop[] {
  const api = system.apiUrl;
  const auth = { authorization: `Bearer ${user.token}` };
  const get = (path: string) => (signal: AbortSignal) => fetch(`${api}${path}`, { headers: auth, signal });
  let n = 0;
  return [
    { kind: 'status', request: get(`/api/v1/media/${doneJob}`) },
    { kind: 'list', request: get('/api/v1/media?limit=10') },
    { kind: 'profile', request: get('/api/v1/users/me') },
    { kind: 'download', request: get(`/api/v1/media/${doneJob}/result`) },
    {
      kind: 'update',
      request: (signal) => {
        n += 1;
        return fetch(`${api}/api/v1/users/me`, {
          method: 'PATCH',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ display_name: `Outage ${n}` }),
          signal,
        });
      },
    },
    {
      kind: 'upload',
      request: (signal) => {
        const form = new FormData();
        form.append('file', new Blob([smallPhoto], { type: 'image/jpeg' }), 'small.jpg');
        return fetch(`${api}/api/v1/media`, { method: 'POST', headers: auth, body: form, signal });
      },
    },
  ];
}

const isOk = (answer: LoadAnswer) => answer.status === 200 || answer.status === 202;
const isProblem503 = (answer: LoadAnswer) =>
  answer.status === 503 && (answer.contentType ?? '').startsWith('application/problem+json');

async function userWithFinishedJob(): Promise<{ user: LoadUser; job: string }> {
  const user = await system.registerUser();
  const [job] = await uploadPhotos(system, user, [smallPhoto]);
  const jobs = await settledJobs(system, [user.id], 60_000);
  expect(jobs.map((j) => j.status)).toEqual(['succeeded']);
  return { user, job: job as string };
}

/** Every accepted upload of these users ended `succeeded`, each by its first attempt. */
async function expectEveryJobSucceeded(owners: string[], accepted: number) {
  const jobs = await settledJobs(system, owners, 180_000);
  const summary = jobs
    .filter((j) => j.status !== 'succeeded')
    .map((j) => `${j.status} ${j.error?.code ?? ''}`);
  expect(summary).toEqual([]);
  expect(jobs.length).toBe(accepted);
  return jobs;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One download of a job's result, outside the load loops (sent at a chosen moment). */
async function probeDownload(user: LoadUser, job: string): Promise<LoadAnswer> {
  const sentAt = performance.now();
  const response = await fetch(`${system.apiUrl}/api/v1/media/${job}/result`, {
    headers: { authorization: `Bearer ${user.token}` },
  });
  const contentType = response.headers.get('content-type');
  let code: string | undefined;
  if (contentType?.startsWith('application/problem+json'))
    code = ((await response.json()) as { code?: string }).code;
  else await response.arrayBuffer();
  const retryAfter = response.headers.get('retry-after');
  return {
    kind: 'download',
    status: response.status,
    contentType,
    ...(code && { code }),
    ...(retryAfter !== null && { retryAfter }),
    sentAt,
    answeredAt: performance.now(),
  };
}

describe('a database stopped for 20 s under load', () => {
  it('PostgreSQL: what needs it answers 503 problem+json without hanging, jobs accepted before wait and complete, all recovers without a restart', async () => {
    const { user, job } = await userWithFinishedJob();
    const uploader = await system.registerUser();
    const { answers, marks } = await runOutage({
      loops: loopsFor(user, job),
      beforeMs: 3000,
      outageMs: OUTAGE_MS,
      afterMs: 8000,
      stop: async () => {
        // Photos accepted just before the outage: several are still queued or in the worker when it begins.
        await uploadPhotos(system, uploader, [...photos, ...photos, ...photos]);
        await postgres.stop();
      },
      start: () => postgres.start(),
      recovered: async () => {
        const response = await fetch(`${system.apiUrl}/api/v1/media?limit=1`, {
          headers: { authorization: `Bearer ${user.token}` },
        });
        await response.arrayBuffer();
        return response.status === 200;
      },
    });
    const during = answersWithin(answers, marks.down, marks.restarting);
    const after = answersWithin(answers, marks.recovered, marks.end);
    console.log(
      'postgres outage:',
      JSON.stringify({
        during: tally(during),
        after: tally(after),
        slowestMs: slowest(during),
        slowestAroundOutage: slowestAnswers(answers, marks.down),
        recoveryMs: Math.round(marks.recovered - marks.restarting),
      }),
    );

    expect(describeAnswers(answers.filter((a) => !isOk(a) && !isProblem503(a)))).toEqual([]);
    // Everything that needs PostgreSQL is refused clearly (the cached profile may still answer).
    const needsPostgres = during.filter((a) => a.kind !== 'profile');
    expect(needsPostgres.length).toBeGreaterThan(0);
    expect(describeAnswers(needsPostgres.filter((a) => !isProblem503(a)))).toEqual([]);
    for (const kind of ['status', 'list', 'update', 'upload', 'download']) {
      expect(during.filter((a) => a.kind === kind).length, kind).toBeGreaterThan(0);
    }
    // Once it is back, everything answers as before.
    expect(after.length).toBeGreaterThan(0);
    expect(describeAnswers(after.filter((a) => !isOk(a)))).toEqual([]);
    const uploadsAccepted = answers.filter((a) => a.kind === 'upload' && a.status === 202).length;
    await expectEveryJobSucceeded([uploader.id], 6);
    await expectEveryJobSucceeded([user.id], 1 + uploadsAccepted);
    expect(processIds()).toEqual(pids);
  });

  it('the MongoDB-wire store: downloads and uploads answer 503 problem+json, job reads keep answering, jobs wait and complete, all recovers without a restart', async () => {
    const { user, job } = await userWithFinishedJob();
    const uploader = await system.registerUser();
    let probes: Promise<LoadAnswer[]> = Promise.resolve([]);
    const { answers, marks } = await runOutage({
      loops: loopsFor(user, job),
      beforeMs: 3000,
      outageMs: OUTAGE_MS,
      afterMs: 8000,
      stop: async () => {
        await uploadPhotos(system, uploader, [...photos, ...photos, ...photos]);
        await system.store.stop();
        // Downloads sent 0, 3 and 6 s into the outage: each must be answered before the store is back.
        probes = Promise.all(
          [0, 3000, 6000].map((delay) => sleep(delay).then(() => probeDownload(user, job))),
        );
      },
      start: () => system.store.start(),
      recovered: async () => {
        const response = await fetch(`${system.apiUrl}/api/v1/media/${job}/result`, {
          headers: { authorization: `Bearer ${user.token}` },
        });
        await response.arrayBuffer();
        return response.status === 200;
      },
    });
    const during = answersWithin(answers, marks.down, marks.restarting);
    const after = answersWithin(answers, marks.recovered, marks.end);
    console.log(
      'store outage:',
      JSON.stringify({
        during: tally(during),
        after: tally(after),
        slowestMs: slowest(during),
        slowestAroundOutage: slowestAnswers(answers, marks.down),
        recoveryMs: Math.round(marks.recovered - marks.restarting),
      }),
    );

    expect(describeAnswers(answers.filter((a) => !isOk(a) && !isProblem503(a)))).toEqual([]);
    // A download while the store is down is refused with 503 problem+json and Retry-After within the
    // api's upstream deadline: none waits for the store to come back.
    const downloads = await probes;
    console.log(
      'downloads while the store is down:',
      downloads.map((a) => `${a.status} ${a.code} ${Math.round(a.answeredAt - a.sentAt)} ms`).join(', '),
    );
    expect(
      downloads
        .filter((a) => !isProblem503(a) || a.retryAfter === undefined || a.answeredAt >= marks.restarting)
        .map(
          (a) =>
            `${describeAnswers([a])[0]}, answered ${Math.round(a.answeredAt - marks.down)} ms into the outage`,
        ),
    ).toEqual([]);
    // One wait for the store, not two: data-mongo's 503 names its own MONGO_TIMEOUT_MS as Retry-After,
    // longer than the api's retry budget, so the api answers then (passing that wait on) instead of
    // retrying into its call deadline (UPSTREAM.TIMEOUT).
    expect(
      downloads.filter((a) => a.code === 'UPSTREAM.TIMEOUT').map((a) => describeAnswers([a])[0]),
    ).toEqual([]);
    expect(downloads.filter((a) => a.code === 'UPSTREAM.HTTP_ERROR').map((a) => a.retryAfter)).toContain('5');
    // Downloads and uploads need the store: refused clearly. Job rows and profiles live in PostgreSQL.
    const needsStore = during.filter((a) => a.kind === 'download' || a.kind === 'upload');
    expect(needsStore.length).toBeGreaterThan(0);
    expect(describeAnswers(needsStore.filter((a) => !isProblem503(a)))).toEqual([]);
    const needsPostgresOnly = during.filter((a) => ['status', 'list', 'update', 'profile'].includes(a.kind));
    expect(needsPostgresOnly.length).toBeGreaterThan(0);
    expect(describeAnswers(needsPostgresOnly.filter((a) => !isOk(a)))).toEqual([]);
    expect(after.length).toBeGreaterThan(0);
    expect(describeAnswers(after.filter((a) => !isOk(a)))).toEqual([]);
    const uploadsAccepted = answers.filter((a) => a.kind === 'upload' && a.status === 202).length;
    await expectEveryJobSucceeded([uploader.id], 6);
    await expectEveryJobSucceeded([user.id], 1 + uploadsAccepted);
    // What the uploads cut off by the outage wrote is deleted once the store answers again.
    await expect
      .poll(async () => (await system.blobsOf([uploader.id])).orphanChunks, {
        timeout: 30_000,
        interval: 1000,
      })
      .toBe(0);
    expect(processIds()).toEqual(pids);
  });
});
