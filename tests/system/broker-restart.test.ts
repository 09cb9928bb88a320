import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../e2e/helpers/service-process.js';
import { type LoadUser, type MediaSystem, startMediaSystem } from '../support/media-system.js';
import { type RabbitmqInstance, startRabbitmqInstance } from '../support/rabbitmq-instance.js';

/**
 * A broker restart during publishing and consuming (issue 14, chaos 2): 40 photo uploads through the
 * api, with RabbitMQ (a node of this test's own) stopped after the tenth and started again after the
 * twentieth. Every upload is accepted (the job and its `media.uploaded` go into data-postgres's outbox
 * in one transaction; nothing is published by the api), every job succeeds, and every job accepted
 * while the broker was down is processed within 10 s of its return: the outbox relay flushes on
 * reconnect, without waiting for the worker's stale-queued schedule. No service exits.
 */

const UPLOADS = 40;
const STOP_AFTER = 10;
const START_AFTER = 20;
const BOUND_MS = 10_000;

let broker: RabbitmqInstance;
let system: MediaSystem;
let user: LoadUser;
let photo: Buffer;

beforeAll(async () => {
  broker = await startRabbitmqInstance();
  system = await startMediaSystem({
    label: 'broker-restart',
    rabbitmqUrl: broker.url,
    // The stale-queued schedule is the safety net; here it must not be what delivers the jobs.
    workerEnv: { SCHEDULES_ENABLED: 'false' },
  });
  user = await system.registerUser();
  photo = await sharp({
    create: {
      width: 640,
      height: 480,
      channels: 3,
      background: '#4080c0',
      noise: { type: 'gaussian', mean: 128, sigma: 30 },
    },
  })
    .jpeg({ quality: 85 })
    .toBuffer();
}, 170_000);

afterAll(async () => {
  await system?.stop();
  await broker?.close();
}, 60_000);

async function upload(n: number): Promise<{ status: number; jobId?: string }> {
  const form = new FormData();
  form.append('file', new Blob([photo], { type: 'image/jpeg' }), `photo-${n}.jpg`);
  const response = await fetch(`${system.apiUrl}/api/v1/media`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}` },
    body: form,
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json().catch(() => ({}))) as { id?: string };
  return { status: response.status, ...(body.id && { jobId: body.id }) };
}

function alive(service: ServiceProcess): boolean {
  return service.child.exitCode === null && service.child.signalCode === null;
}

describe('RabbitMQ restarted during uploads', () => {
  it('accepts all 40 uploads, processes every one, and those accepted during the outage within 10 s of the broker coming back', async () => {
    const answers: Array<{ status: number; jobId?: string }> = [];
    const duringOutage: string[] = [];
    let backAt = 0;
    for (let n = 1; n <= UPLOADS; n += 1) {
      if (n === STOP_AFTER + 1) await broker.stop();
      const answer = await upload(n);
      answers.push(answer);
      if (n > STOP_AFTER && n <= START_AFTER && answer.jobId) duringOutage.push(answer.jobId);
      if (n === START_AFTER) {
        await broker.start();
        backAt = Date.now();
      }
    }
    expect(answers.map((answer) => answer.status)).toEqual(Array(UPLOADS).fill(202));
    expect(duringOutage).toHaveLength(START_AFTER - STOP_AFTER);

    const ids = answers.map((answer) => answer.jobId as string);
    const deadline = Date.now() + 120_000;
    let jobs = await system.jobsOf([user.id]);
    while (
      jobs.some((job) => job.status !== 'succeeded' && job.status !== 'failed') &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      jobs = await system.jobsOf([user.id]);
    }
    expect(jobs.map((job) => job.id).sort()).toEqual([...ids].sort());
    expect(jobs.filter((job) => job.status !== 'succeeded').map((job) => `${job.id} ${job.status}`)).toEqual(
      [],
    );

    // Measured from the broker's return, as a client would see it.
    const outageJobs = jobs.filter((job) => duringOutage.includes(job.id));
    const waits = outageJobs.map((job) => Date.parse(job.finished_at as string) - backAt);
    console.log(
      `broker restart: jobs accepted during the outage done ${Math.max(...waits)} ms after the broker's return (max), ${Math.min(...waits)} ms (min)`,
    );
    for (const wait of waits) expect(wait).toBeLessThanOrEqual(BOUND_MS);
    for (const service of [system.api, system.worker, system.services.processes.dataPostgres]) {
      expect(alive(service), `${service.name} still running`).toBe(true);
    }
  }, 170_000);
});
