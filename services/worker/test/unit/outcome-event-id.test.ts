import { isUuid, newId } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import { outcomeEventId } from '../../src/modules/media/application/photo-job-events.js';

describe('the event id of a job outcome', () => {
  it('is the same UUID v7 at every announcement of the same outcome of the same job', () => {
    const job = newId();
    const id = outcomeEventId(job, 'media.succeeded');
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(outcomeEventId(job, 'media.succeeded')).toBe(id);
    // The job id's time: outcome events sort with their job.
    expect(id.slice(0, 13)).toBe(job.slice(0, 13));
  });

  it('differs between outcomes and between jobs', () => {
    const job = newId();
    const ids = new Set([
      outcomeEventId(job, 'media.succeeded'),
      outcomeEventId(job, 'media.failed'),
      outcomeEventId(newId(), 'media.succeeded'),
    ]);
    expect(ids.size).toBe(3);
  });
});
