import type { MediaJob } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import { createPhotoJobEvents } from '../../src/modules/media/application/photo-job-events.js';

function job(): MediaJob {
  return {
    id: newId(),
    owner_id: newId(),
    kind: 'photo',
    source: 'telegram',
    status: 'processing',
    attempts: 1,
    max_attempts: 3,
    progress: 0,
    original: { blob_id: newId(), filename: 'a.jpg', content_type: 'image/jpeg', size_bytes: 1000 },
    result: null,
    error: null,
    lease_owner: 'w:1',
    lease_expires_at: '2026-12-04T10:01:00.000Z',
    created_at: '2026-12-04T10:00:00.000Z',
    updated_at: '2026-12-04T10:00:00.100Z',
    started_at: '2026-12-04T10:00:00.100Z',
    finished_at: null,
  } as MediaJob;
}

describe('the media events of a photo job', () => {
  it("name the job's owner as the envelope's user, for every event the worker publishes", async () => {
    const published: Array<{ type: string; userId: string | undefined }> = [];
    const events = createPhotoJobEvents({
      publish: async (type, _data, options) => {
        published.push({ type, userId: options?.userId });
      },
    });
    const photo = job();
    await events.processing(photo, '2026-12-04T10:00:00.100Z');
    await events.succeeded(photo, 900, { telegram_chat_id: 42 });
    await events.failed(photo, { code: 'MEDIA.DECODE_FAILED', message: 'not an image' }, 10, {});
    await events.uploaded(photo);

    expect(published).toEqual(
      ['media.processing', 'media.succeeded', 'media.failed', 'media.uploaded'].map((type) => ({
        type,
        userId: photo.owner_id,
      })),
    );
  });
});
