/**
 * `media-load`: the photo path as users meet it, as the store grows. Six connections upload a
 * phone-size photo (about 3 MB) to `POST /api/v1/media` for a fixed time (wrk, a native load
 * generator), then the worker finishes what was accepted. Measured with 0, 500 MB and 1 GB already
 * stored in the blob store (a MongoDB-wire server of the run's own): accepted uploads per second,
 * p50/p99 of `POST /media`, and photos processed per second. The headline is the 1 GB figure over the
 * empty-store figure (the cost must stay flat as data grows).
 */
import {
  type LoadUser,
  type MediaSystem,
  phonePhotos,
  startMediaSystem,
} from '../../tests/support/media-system.js';
import { compare, type Measurement, round, type Scenario } from '../lib/measure.js';
import { runWrk } from '../lib/wrk.js';

const CONNECTIONS = 6;
const MB = 1024 * 1024;

/** One multipart body, serialised once (wrk sends the same bytes each time). */
async function multipartPhoto(photo: Buffer): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.append('file', new Blob([photo], { type: 'image/jpeg' }), 'phone.jpg');
  const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  return {
    body: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type') ?? '',
  };
}

/** Waits until every job of `user` is finished; returns when the last one finished (ms epoch). */
async function drained(
  system: MediaSystem,
  user: LoadUser,
  timeoutMs: number,
): Promise<{ done: number; finishedAt: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await system.jobsOf([user.id]);
    const open = jobs.filter((job) => job.status === 'queued' || job.status === 'processing');
    if (open.length === 0 || Date.now() > deadline) {
      const finished = jobs.map((job) => Date.parse(job.finished_at ?? '')).filter(Number.isFinite);
      return {
        done: jobs.filter((job) => job.status === 'succeeded').length,
        finishedAt: Math.max(...finished, Date.now()),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

interface LevelFigures {
  stored_mb: number;
  uploads: Measurement;
  processing: Measurement;
  statuses: Record<string, number>;
}

async function measureLevel(
  system: MediaSystem,
  storedMb: number,
  seconds: number,
  photo: { body: Buffer; contentType: string },
): Promise<LevelFigures> {
  const user = await system.registerUser();
  const started = Date.now();
  const load = await runWrk({
    url: `${system.apiUrl}/api/v1/media`,
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'content-type': photo.contentType },
    body: photo.body,
    connections: CONNECTIONS,
    durationSeconds: seconds,
  });
  const accepted = load.statuses['202'] ?? 0;
  const { done, finishedAt } = await drained(system, user, 10 * 60_000);
  const processingSeconds = Math.max(0.001, (finishedAt - started) / 1000);
  const label = `${storedMb} MB stored`;
  return {
    stored_mb: storedMb,
    statuses: load.statuses,
    uploads: {
      label: `${label}: POST /media (wrk, ${CONNECTIONS} connections)`,
      operations: accepted,
      errors: load.requests - accepted + load.socketErrors,
      seconds: round(load.seconds),
      throughput_per_s: round(accepted / load.seconds),
      p50_ms: round(load.p50_ms),
      p99_ms: round(load.p99_ms),
      max_ms: round(load.max_ms),
    },
    processing: {
      label: `${label}: photos processed`,
      operations: done,
      errors: accepted - done,
      seconds: round(processingSeconds),
      throughput_per_s: round(done / processingSeconds),
      p50_ms: 0,
      p99_ms: 0,
      max_ms: 0,
    },
  };
}

const scenario: Scenario = {
  name: 'media-load',
  description:
    'Accepted photo uploads per second (wrk, 6 connections, 3 MB photos), POST /media p50/p99 and photos processed per second with 1 GB already stored, against the same run on an empty store.',
  async run({ quick }) {
    const seconds = quick ? 10 : 30;
    const levels = quick ? [0, 100] : [0, 500, 1024];
    const [photo] = await phonePhotos(1);
    const body = await multipartPhoto(photo as Buffer);
    const system = await startMediaSystem({
      label: 'bench-media-load',
      apiEnv: { LOG_LEVEL: 'warn' },
      workerEnv: { LOG_LEVEL: 'warn' },
    });
    try {
      const figures: LevelFigures[] = [];
      let stored = 0;
      for (const level of levels) {
        // What the runs before stored counts too: top up to the level.
        if (level * MB > stored) stored += await system.prefill(level * MB - stored);
        figures.push(await measureLevel(system, level, seconds, body));
        console.log(
          `   media-load at ${level} MB: ${JSON.stringify(figures.at(-1)?.statuses)}, ${figures.at(-1)?.uploads.throughput_per_s} uploads/s, ${figures.at(-1)?.processing.throughput_per_s} photos/s`,
        );
      }
      const empty = figures[0] as LevelFigures;
      const full = figures.at(-1) as LevelFigures;
      const middle = figures.length > 2 ? figures[1] : undefined;
      const notes = [
        `Statuses by level: ${figures.map((f) => `${f.stored_mb} MB ${JSON.stringify(f.statuses)}`).join('; ')}.`,
        ...(middle
          ? [
              `At ${middle.stored_mb} MB: ${middle.uploads.throughput_per_s} uploads/s (p50 ${middle.uploads.p50_ms} ms, p99 ${middle.uploads.p99_ms} ms), ${middle.processing.throughput_per_s} photos/s.`,
            ]
          : []),
        'The stored bytes are files written straight into the blob store before each level; the uploads of earlier levels count too.',
      ];
      return [
        compare(
          'media-load-uploads',
          `Accepted uploads per second with ${full.stored_mb} MB stored vs an empty store.`,
          full.uploads,
          empty.uploads,
          { concurrency: CONNECTIONS, notes },
        ),
        compare(
          'media-load-processing',
          `Photos processed per second with ${full.stored_mb} MB stored vs an empty store.`,
          full.processing,
          empty.processing,
          { concurrency: CONNECTIONS },
        ),
      ];
    } finally {
      await system.stop();
    }
  },
};

export default scenario;
