import type { MediaJob } from '@flotilla/contracts';
import { createLogger, isDomainError } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import {
  createWatchMediaJob,
  type WatchClock,
  type WatchEvent,
} from '../../src/modules/media/application/watch-media-job.use-case.js';

const OWNER = '0190a6e4-0000-7000-8000-00000000000a';
const JOB = '0190a6e4-0000-7000-8000-0000000000b1';
const logger = createLogger({ service: 'test', version: '0', level: 'silent' });

function job(overrides: Partial<MediaJob> = {}): MediaJob {
  return {
    id: JOB,
    owner_id: OWNER,
    kind: 'photo',
    source: 'api',
    status: 'queued',
    attempts: 0,
    max_attempts: 3,
    lease_owner: null,
    lease_expires_at: null,
    progress: 0,
    original: { blob_id: 'b1', filename: 'a.png', content_type: 'image/png', size_bytes: 10 },
    result: null,
    error: null,
    created_at: '2026-11-24T10:00:00.000Z',
    updated_at: '2026-11-24T10:00:00.000Z',
    started_at: null,
    finished_at: null,
    ...overrides,
  };
}

/** A clock that advances by exactly the time slept, and a store that answers a script of reads. */
function scripted(reads: Array<MediaJob | null | Error>) {
  let now = 0;
  const clock: WatchClock = {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
  let index = 0;
  const jobs = {
    async get(): Promise<MediaJob | null> {
      const next = reads[Math.min(index, reads.length - 1)];
      index += 1;
      if (next instanceof Error) throw next;
      return next ?? null;
    },
  };
  return { clock, jobs };
}

const options = { pollIntervalMs: 1000, heartbeatMs: 3000, maxDurationMs: 10_000 };

async function run(reads: Array<MediaJob | null | Error>, signal = new AbortController().signal) {
  const { clock, jobs } = scripted(reads);
  const watch = createWatchMediaJob({ jobs, logger, clock }, options);
  const events: WatchEvent[] = [];
  for await (const event of await watch({ ownerId: OWNER, jobId: JOB, signal })) events.push(event);
  return events;
}

const summary = (events: WatchEvent[]) =>
  events.map((event) =>
    event.type === 'job'
      ? `${event.job.status}:${event.job.progress}`
      : event.type === 'end'
        ? `end:${event.reason}`
        : 'heartbeat',
  );

describe('watching a job', () => {
  it('reports the job, each change, and ends after the terminal state', async () => {
    const queued = job();
    const processing = job({ status: 'processing', attempts: 1, updated_at: '2026-11-24T10:00:01.000Z' });
    const halfway = job({
      status: 'processing',
      attempts: 1,
      progress: 50,
      updated_at: '2026-11-24T10:00:02.000Z',
    });
    const done = job({
      status: 'succeeded',
      attempts: 1,
      progress: 100,
      updated_at: '2026-11-24T10:00:03.000Z',
    });
    const events = await run([queued, queued, processing, processing, halfway, done]);
    expect(summary(events)).toEqual([
      'queued:0',
      'processing:0',
      'processing:50',
      'succeeded:100',
      'end:terminal',
    ]);
  });

  it('ends at once for a job that is already terminal', async () => {
    const failed = job({ status: 'failed', error: { code: 'MEDIA.CORRUPT', message: 'bad' } });
    expect(summary(await run([failed]))).toEqual(['failed:0', 'end:terminal']);
  });

  it('sends heartbeats while nothing changes and ends when its lifetime is over', async () => {
    const events = await run([job()]);
    expect(summary(events)).toEqual(['queued:0', 'heartbeat', 'heartbeat', 'heartbeat', 'end:timeout']);
  });

  it('ends when the job is deleted, and when data-postgres stays unreachable', async () => {
    expect(summary(await run([job(), null]))).toEqual(['queued:0', 'end:deleted']);
    const down = new Error('connection refused');
    expect(summary(await run([job(), down, down, down, down, down]))).toEqual([
      'queued:0',
      'end:unavailable',
    ]);
  });

  it("refuses someone else's job before anything is streamed", async () => {
    const { clock, jobs } = scripted([job({ owner_id: '0190a6e4-0000-7000-8000-0000000000ff' })]);
    const watch = createWatchMediaJob({ jobs, logger, clock }, options);
    const error = await watch({ ownerId: OWNER, jobId: JOB, signal: new AbortController().signal }).catch(
      (failure: unknown) => failure,
    );
    expect(isDomainError(error, 'MEDIA.NOT_FOUND')).toBe(true);
  });

  it('stops without a final event once the client has gone', async () => {
    const abort = new AbortController();
    const { clock, jobs } = scripted([job()]);
    const watch = createWatchMediaJob({ jobs, logger, clock }, options);
    const events: WatchEvent[] = [];
    for await (const event of await watch({ ownerId: OWNER, jobId: JOB, signal: abort.signal })) {
      events.push(event);
      abort.abort();
    }
    expect(summary(events)).toEqual(['queued:0']);
  });
});
