import type { MediaJob } from '@flotilla/contracts';
import { type EventEnvelope, newId } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import type { MediaJobStore } from '../../src/modules/media/application/photo.ports.js';
import {
  createPhotoJobEvents,
  outcomeEventId,
} from '../../src/modules/media/application/photo-job-events.js';
import { createProcessPhoto } from '../../src/modules/media/application/process-photo.use-case.js';

function succeededJob(): MediaJob {
  const id = newId();
  const owner = newId();
  return {
    id,
    owner_id: owner,
    kind: 'photo',
    source: 'api',
    status: 'succeeded',
    attempts: 1,
    max_attempts: 3,
    progress: 100,
    original: { blob_id: newId(), filename: 'a.jpg', content_type: 'image/jpeg', size_bytes: 1000 },
    result: { blob_id: newId(), thumbnail_blob_id: newId(), content_type: 'image/jpeg', size_bytes: 500 },
    error: null,
    lease_owner: null,
    lease_expires_at: null,
    created_at: '2026-12-04T10:00:00.000Z',
    updated_at: '2026-12-04T10:00:01.000Z',
    started_at: '2026-12-04T10:00:00.100Z',
    finished_at: '2026-12-04T10:00:01.000Z',
  } as MediaJob;
}

function processFinished(job: MediaJob) {
  const published: Array<{ type: string; eventId: string | undefined }> = [];
  const events = createPhotoJobEvents({
    publish: async (type: string, _data: unknown, options?: { eventId?: string }) => {
      published.push({ type, eventId: options?.eventId });
      return {} as EventEnvelope;
    },
  });
  const unused = () => {
    throw new Error('not expected for a finished job');
  };
  const processPhoto = createProcessPhoto({
    jobs: { get: async () => job } as unknown as MediaJobStore,
    blobs: { download: unused, upload: unused, delete: unused },
    events,
    transformer: { transform: unused },
    readBounded: unused,
    discardBlobs: unused,
    instanceId: 'worker-test',
    leaseSeconds: 5,
    maxInputBytes: 1_000_000,
  });
  const event = {
    job_id: job.id,
    owner_id: job.owner_id,
    kind: 'photo',
    source: 'api',
    original: job.original,
  } as const;
  return { published, run: (info: Parameters<typeof processPhoto>[1]) => processPhoto(event, info) };
}

describe('a media.uploaded of a job that is already finished', () => {
  it('is skipped without a new announcement on its first delivery (a copy of the event)', async () => {
    const { published, run } = processFinished(succeededJob());
    expect(await run({ attempt: 1, maxAttempts: 3, redelivered: false })).toEqual({
      status: 'skipped',
      reason: 'finished',
    });
    expect(published).toEqual([]);
  });

  it('announces the outcome again when the broker redelivers it (the worker that had it may have died before publishing), under the same event id', async () => {
    const job = succeededJob();
    const { published, run } = processFinished(job);
    await run({ attempt: 1, maxAttempts: 3, redelivered: true });
    await run({ attempt: 2, maxAttempts: 3 });
    expect(published).toEqual([
      { type: 'media.succeeded', eventId: outcomeEventId(job.id, 'media.succeeded') },
      { type: 'media.succeeded', eventId: outcomeEventId(job.id, 'media.succeeded') },
    ]);
  });
});
