import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadUser, type MediaSystem, phonePhotos, startMediaSystem } from '../support/media-system.js';
import { describeAnswers, settledJobs, troubleLines, uploadPhotos } from '../support/outage-phases.js';
import { type LoadAnswer, type LoadLoop, runRequestLoops, tally } from '../support/request-load.js';

/**
 * SIGTERM to each service in turn (api, worker, data-postgres, data-mongo) while clients read, upload
 * and download through the api, then the service is started again. Each exits 0 after finishing what
 * it had accepted: no request already accepted loses its connection (a client may only find the port
 * closed while the service is down), no answer is a 500, and every photo accepted is processed, once.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let system: MediaSystem;
let smallPhoto: Buffer;
let photos: Buffer[];
let user: LoadUser;
let doneJob: string;

beforeAll(async () => {
  system = await startMediaSystem({
    label: 'graceful-shutdown',
    workerEnv: { MESSAGE_RETRY_DELAYS_MS: '1000,2000,5000' },
  });
  smallPhoto = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#a63' } })
    .jpeg()
    .toBuffer();
  photos = await phonePhotos(2);
  user = await system.registerUser();
  [doneJob] = (await uploadPhotos(system, user, [smallPhoto])) as [string];
  acceptedJobs = 1;
  await settledJobs(system, [user.id], 60_000);
}, 240_000);

afterAll(async () => {
  if (system) console.log(troubleLines(system).join('\n'));
  await system?.stop();
}, 120_000);

function loops(): LoadLoop[] {
  const api = system.apiUrl;
  const auth = { authorization: `Bearer ${user.token}` };
  const get = (path: string) => (signal: AbortSignal) => fetch(`${api}${path}`, { headers: auth, signal });
  const upload = (signal: AbortSignal) => {
    const form = new FormData();
    form.append('file', new Blob([smallPhoto], { type: 'image/jpeg' }), 'small.jpg');
    return fetch(`${api}/api/v1/media`, { method: 'POST', headers: auth, body: form, signal });
  };
  return [
    { kind: 'list', request: get('/api/v1/media?limit=20') },
    { kind: 'status', request: get(`/api/v1/media/${doneJob}`) },
    { kind: 'download', request: get(`/api/v1/media/${doneJob}/result`) },
    { kind: 'upload', request: upload },
    { kind: 'upload', request: upload },
  ];
}

/**
 * Runs the load; after 3 s under it, `restart()` sends SIGTERM, waits for the exit and starts the
 * service again; then the load goes on until the api answers `probePath` (a job list by default) again,
 * and 5 s more.
 */
async function underLoad(
  restart: () => Promise<{ exitCode: number | null }>,
  probePath = '/api/v1/media?limit=1',
) {
  let done = false;
  let exitCode: number | null | undefined;
  const marks = { sigterm: 0, recovered: 0 };
  const restarting = (async () => {
    await sleep(3000);
    marks.sigterm = performance.now();
    ({ exitCode } = await restart());
    const deadline = Date.now() + 60_000;
    for (;;) {
      const response = await fetch(`${system.apiUrl}${probePath}`, {
        headers: { authorization: `Bearer ${user.token}` },
      }).catch(() => undefined);
      await response?.arrayBuffer();
      if (response?.status === 200 || Date.now() > deadline) break;
      await sleep(200);
    }
    marks.recovered = performance.now();
    await sleep(5000);
    done = true;
  })();
  const answers = await runRequestLoops({ loops: loops(), durationMs: 180_000, until: () => done });
  await restarting;
  const inFlight = answers.filter((a) => a.sentAt < marks.sigterm && a.answeredAt > marks.sigterm);
  const afterRecovery = answers.filter((a) => a.sentAt >= marks.recovered);
  return {
    answers,
    exitCode,
    inFlight,
    afterRecovery,
    recoveryMs: Math.round(marks.recovered - marks.sigterm),
  };
}

const accepted = (a: LoadAnswer) => a.status === 200 || a.status === 202;
const problem503 = (a: LoadAnswer) =>
  a.status === 503 && (a.contentType ?? '').startsWith('application/problem+json');
// While the api is down its port is closed: a refused connection is a request never accepted.
const refused = (a: LoadAnswer) => a.status === 'connection-error' && a.error === 'ECONNREFUSED';

/** Photos accepted so far (202s and the uploads made outside the load loops). */
let acceptedJobs = 0;

/** Files of uploads refused with 503 and left in the store so far (see the data-postgres case). */
let leftBehind = 0;

/**
 * Every photo accepted so far ended `succeeded`, with exactly its three files. An upload refused with 503
 * because data-postgres was away after its file was stored may leave that file behind (not fixed here:
 * the orphan sweep's job); such files are counted and reported, and there are never more of them than
 * refused uploads.
 */
async function expectNothingLost(answers: LoadAnswer[]) {
  acceptedJobs += answers.filter((a) => a.kind === 'upload' && a.status === 202).length;
  const jobs = await settledJobs(system, [user.id], 180_000);
  const notDone = jobs
    .filter((j) => j.status !== 'succeeded')
    .map((j) => `${j.status} ${j.error?.code ?? ''}`);
  expect(notDone).toEqual([]);
  expect(jobs.length).toBe(acceptedJobs);
  const blobs = await system.blobsOf([user.id]);
  const extra = blobs.files - jobs.length * 3 - leftBehind;
  const refusedUploads = answers.filter((a) => a.kind === 'upload' && a.status === 503).length;
  if (extra > 0) console.log(`files of refused uploads left in the store: ${extra}`);
  expect(extra).toBeGreaterThanOrEqual(0);
  expect(extra).toBeLessThanOrEqual(refusedUploads);
  leftBehind += extra;
  expect(blobs.orphanChunks).toBe(0);
}

describe('SIGTERM to a service under load', () => {
  it('the api finishes the requests in flight and exits 0; started again, it serves the same clients', async () => {
    const { answers, exitCode, inFlight, afterRecovery, recoveryMs } = await underLoad(() =>
      system.restart('api'),
    );
    const closedUnder = answers.filter((a) => a.status === 'connection-error' && !refused(a));
    console.log(
      'api SIGTERM:',
      JSON.stringify({
        exitCode,
        recoveryMs,
        inFlight: tally(inFlight),
        closedUnderAfterSigterm: describeAnswers(closedUnder),
        answers: tally(answers),
      }),
    );
    expect(exitCode).toBe(0);
    // Every request in flight when the signal came was answered in full.
    expect(inFlight.length).toBeGreaterThan(0);
    expect(describeAnswers(inFlight.filter((a) => !accepted(a)))).toEqual([]);
    // Never a 500; what the api could not take any more was refused at the door or answered 503.
    expect(
      describeAnswers(answers.filter((a) => typeof a.status === 'number' && !accepted(a) && !problem503(a))),
    ).toEqual([]);
    expect(answers.filter(refused).length).toBeGreaterThan(0);
    expect(describeAnswers(afterRecovery.filter((a) => !accepted(a)))).toEqual([]);
    await expectNothingLost(answers);
  });

  it('the worker finishes the photos in hand (or leaves them queued) and exits 0; started again, every photo is processed once', async () => {
    const { answers, exitCode, inFlight } = await underLoad(async () => {
      // Phone-size photos just before the signal: some are in the worker's hands when it arrives.
      await uploadPhotos(system, user, [...photos, ...photos]);
      return system.restart('worker');
    });
    console.log(
      'worker SIGTERM:',
      JSON.stringify({ exitCode, inFlight: tally(inFlight), answers: tally(answers) }),
    );
    expect(exitCode).toBe(0);
    expect(describeAnswers(answers.filter((a) => !accepted(a)))).toEqual([]);
    acceptedJobs += 4;
    await expectNothingLost(answers);
  });

  for (const name of ['dataPostgres', 'dataMongo'] as const) {
    it(`${name === 'dataPostgres' ? 'data-postgres' : 'data-mongo'} finishes the calls it accepted and exits 0; the api answers 503 problem+json meanwhile, never a 500 or a reset`, async () => {
      // Recovered: the api answers what needs the restarted service (data-mongo: a download).
      const probe = name === 'dataPostgres' ? '/api/v1/media?limit=1' : `/api/v1/media/${doneJob}/result`;
      const { answers, exitCode, inFlight, afterRecovery, recoveryMs } = await underLoad(
        () => system.services.restart(name),
        probe,
      );
      console.log(
        `${name} SIGTERM:`,
        JSON.stringify({ exitCode, recoveryMs, inFlight: tally(inFlight), answers: tally(answers) }),
      );
      expect(exitCode).toBe(0);
      expect(describeAnswers(answers.filter((a) => !accepted(a) && !problem503(a)))).toEqual([]);
      // Once it is back (and the api's circuit to it closed again), everything works.
      expect(afterRecovery.length).toBeGreaterThan(0);
      expect(describeAnswers(afterRecovery.filter((a) => !accepted(a)))).toEqual([]);
      await expectNothingLost(answers);
    });
  }
});
