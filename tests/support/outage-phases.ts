import type { MediaJob } from '@flotilla/contracts';
import { expect } from 'vitest';
import type { LoadUser, MediaSystem } from './media-system.js';
import { type LoadAnswer, type LoadLoop, runRequestLoops } from './request-load.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When an outage began and ended, as `performance.now()` times. */
export interface OutageMarks {
  /** The server has exited. */
  down: number;
  /** Its restart begins. */
  restarting: number;
  /** The probe answered as before the outage: the system recovered. */
  recovered: number;
  end: number;
}

/** Options of {@link runOutage}. */
export interface OutageOptions {
  loops: readonly LoadLoop[];
  /** Load before the outage, the outage itself, and load after recovery (ms). */
  beforeMs: number;
  outageMs: number;
  afterMs: number;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  /** True once the system answers as before (polled every 200 ms after `start`, for at most 60 s). */
  recovered: () => Promise<boolean>;
}

/**
 * Runs the load loops while a server is stopped for `outageMs` and started again, and returns every
 * answer with the marks of the outage. The load runs on for `afterMs` past recovery.
 */
export async function runOutage(
  options: OutageOptions,
): Promise<{ answers: LoadAnswer[]; marks: OutageMarks }> {
  const marks: OutageMarks = { down: 0, restarting: 0, recovered: 0, end: 0 };
  let stopLoad = false;
  const outage = (async () => {
    await sleep(options.beforeMs);
    await options.stop();
    marks.down = performance.now();
    await sleep(options.outageMs);
    marks.restarting = performance.now();
    await options.start();
    const deadline = Date.now() + 60_000;
    while (!(await options.recovered().catch(() => false)) && Date.now() < deadline) await sleep(200);
    marks.recovered = performance.now();
    await sleep(options.afterMs);
    stopLoad = true;
  })();
  const bound = options.beforeMs + options.outageMs + options.afterMs + 90_000;
  const answers = await runRequestLoops({
    loops: options.loops,
    durationMs: bound,
    until: () => stopLoad,
  });
  await outage;
  marks.end = performance.now();
  return { answers, marks };
}

/** Waits until no job of these owners is queued or processing (at most `timeoutMs`), and returns them all. */
export async function settledJobs(
  system: MediaSystem,
  owners: readonly string[],
  timeoutMs: number,
): Promise<MediaJob[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await system.jobsOf(owners);
    const open = jobs.filter((job) => job.status === 'queued' || job.status === 'processing');
    if (open.length === 0 || Date.now() > deadline) return jobs;
    await sleep(1000);
  }
}

/** Uploads each photo once for the user and returns the accepted job ids (every upload must be 202). */
export async function uploadPhotos(system: MediaSystem, user: LoadUser, photos: readonly Buffer[]) {
  const ids: string[] = [];
  for (const [n, photo] of photos.entries()) {
    const form = new FormData();
    form.append('file', new Blob([photo], { type: 'image/jpeg' }), `photo-${n}.jpg`);
    const response = await fetch(`${system.apiUrl}/api/v1/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}` },
      body: form,
    });
    const body = (await response.json()) as { id: string };
    expect(response.status, JSON.stringify(body)).toBe(202);
    ids.push(body.id);
  }
  return ids;
}

/** `what (status code)` of each answer: for a readable assertion message. */
export function describeAnswers(answers: readonly LoadAnswer[]): string[] {
  return answers.map(
    (a) => `${a.kind} ${a.status}${a.code ? ` ${a.code}` : ''}${a.error ? ` ${a.error}` : ''}`,
  );
}

/** Fatal and error log lines and the stderr tail of each process of the system (for a failure's report). */
export function troubleLines(system: MediaSystem): string[] {
  const processes = [
    system.api,
    system.worker,
    system.services.processes.dataPostgres,
    system.services.processes.dataMongo,
  ];
  return processes.flatMap((service) => [
    ...service.logs
      .filter((line) => line.level === 'fatal' || line.level === 'error')
      .slice(-5)
      .map((line) => `${service.name}: ${JSON.stringify(line).slice(0, 6000)}`),
    ...service.stderr.slice(-5).map((line) => `${service.name} stderr: ${line}`),
  ]);
}
