import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadUser, type MediaSystem, phonePhotos, startMediaSystem } from '../support/media-system.js';
import { runUploadClients, summarize, type UploadAnswer } from '../support/upload-load.js';

/**
 * The core use case under load, as users meet it: six clients upload phone-size photos (about 3 MB)
 * for a minute each round, with a few hundred MB already stored, through the api, data-mongo,
 * data-postgres, RabbitMQ and the worker as separate processes. Every upload is answered (202, or 503
 * with Retry-After), every accepted photo is processed, and the store holds exactly the three files of
 * each job. Then the same with the store (the MongoDB-wire server) stopped for 20 s mid-run.
 */

const CLIENTS = 6;
const ROUND_MS = Number(process.env.MEDIA_LOAD_ROUND_MS ?? 60_000);
const PREFILL_BYTES = Number(process.env.MEDIA_LOAD_PREFILL_MB ?? 300) * 1024 * 1024;

let system: MediaSystem;
let photos: Buffer[];

beforeAll(async () => {
  photos = await phonePhotos(4);
  system = await startMediaSystem({
    label: 'media-load',
    workerEnv: {
      // Deferred messages come back after 1 s, then 2 s, then every 5 s while the store is down.
      MESSAGE_RETRY_DELAYS_MS: '1000,2000,5000',
      SCHEDULES_ENABLED: 'true',
      SCHEDULE_EXPIRED_LEASES_INTERVAL_MS: '2000',
    },
  });
  await system.prefill(PREFILL_BYTES);
}, 600_000);

afterAll(async () => {
  // MEDIA_LOAD_DEBUG=<directory>: every log line of the api, the worker and data-mongo, one file each.
  const debugDir = process.env.MEDIA_LOAD_DEBUG;
  if (debugDir && system) {
    await mkdir(debugDir, { recursive: true });
    for (const service of [system.api, system.worker, system.services.processes.dataMongo]) {
      const lines = service.logs.map((line) => JSON.stringify(line)).join('\n');
      await writeFile(join(debugDir, `${service.name}.log`), `${lines}\n`);
    }
  }
  await system?.stop();
}, 120_000);

async function usersFor(count: number): Promise<LoadUser[]> {
  return Promise.all(Array.from({ length: count }, () => system.registerUser()));
}

/** Waits until no job of these owners is queued or processing (bounded), and returns them all. */
async function settledJobs(owners: readonly string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await system.jobsOf(owners);
    const open = jobs.filter((job) => job.status === 'queued' || job.status === 'processing');
    if (open.length === 0 || Date.now() > deadline) return jobs;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function expectEveryUploadAnswered(answers: readonly UploadAnswer[]) {
  const resets = answers.filter((answer) => answer.status === 'connection-error');
  expect(resets, `uploads without an answer: ${JSON.stringify(resets.slice(0, 3))}`).toEqual([]);
  for (const answer of answers) {
    expect([202, 503], `status of an upload (${answer.code ?? ''})`).toContain(answer.status);
    if (answer.status === 503) expect(Number(answer.retryAfter)).toBeGreaterThan(0);
  }
}

async function expectEveryAcceptedPhotoProcessed(
  users: readonly LoadUser[],
  answers: readonly UploadAnswer[],
) {
  const accepted = answers.filter((answer) => answer.status === 202).map((answer) => answer.jobId);
  const owners = users.map((user) => user.id);
  const jobs = await settledJobs(owners, Number(process.env.MEDIA_LOAD_SETTLE_MS ?? 8 * 60_000));
  // Exactly the accepted uploads have a job: a refused one left no job row behind.
  expect(jobs.map((job) => job.id).sort()).toEqual([...accepted].sort());
  const notDone = jobs.filter((job) => job.status !== 'succeeded');
  const summary = notDone.map((job) => `${job.status} ${job.attempts} ${job.error?.code ?? ''}`);
  expect(summary, `jobs not succeeded: ${summary.slice(0, 5).join('; ')}`).toEqual([]);
  // Waiting for the store never used an attempt: each job was processed by its first one.
  expect(jobs.filter((job) => job.attempts !== 1).map((job) => job.attempts)).toEqual([]);
  // The store holds exactly each job's original, result and thumbnail: nothing else of these users.
  const blobs = await system.blobsOf(owners);
  expect(blobs.files).toBe(jobs.length * 3);
  expect(blobs.orphanChunks).toBe(0);
  return jobs;
}

describe('photos under concurrent load with a few hundred MB stored', () => {
  it('every upload gets 202 or 503 with Retry-After, and every accepted photo is processed once, with exactly its three files', async () => {
    const users = await usersFor(CLIENTS);
    const answers = await runUploadClients({ apiUrl: system.apiUrl, users, photos, durationMs: ROUND_MS });
    console.log('media load, steady store:', JSON.stringify(summarize(answers)));
    expectEveryUploadAnswered(answers);
    expect(answers.filter((answer) => answer.status === 202).length).toBeGreaterThan(0);
    await expectEveryAcceptedPhotoProcessed(users, answers);
  });

  it('with the store stopped for 20 s mid-run, uploads are still answered and every accepted photo is processed once it is back', async () => {
    const users = await usersFor(CLIENTS);
    const outage = (async () => {
      await new Promise((resolve) => setTimeout(resolve, ROUND_MS / 4));
      await system.store.stop();
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      await system.store.start();
    })();
    const answers = await runUploadClients({ apiUrl: system.apiUrl, users, photos, durationMs: ROUND_MS });
    await outage;
    console.log('media load, store stopped 20 s:', JSON.stringify(summarize(answers)));
    expectEveryUploadAnswered(answers);
    expect(answers.filter((answer) => answer.status === 503).length).toBeGreaterThan(0);
    await expectEveryAcceptedPhotoProcessed(users, answers);
  });
});
