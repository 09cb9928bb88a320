import type { MediaJobStore } from './photo.ports.js';
import type { PhotoJobEvents } from './photo-job-events.js';

/**
 * The lost-publish schedule: a job `queued` for longer than `olderThanSeconds` most likely never had
 * its `media.uploaded` published (the uploader crashed between the insert and the publish), so it is
 * published again. A job that was only waiting in a long queue gets a second message, which the
 * consumer absorbs (the first claim wins, the other finds the job finished). Returns the jobs handled.
 */
export function createRepublishStaleQueued(deps: {
  jobs: MediaJobStore;
  events: PhotoJobEvents;
  olderThanSeconds: number;
  limit: number;
}) {
  return async function republishStaleQueued(): Promise<number> {
    const { items } = await deps.jobs.listStaleQueued({
      older_than_seconds: deps.olderThanSeconds,
      limit: deps.limit,
    });
    const photos = items.filter((job) => job.kind === 'photo');
    for (const job of photos) await deps.events.uploaded(job);
    return photos.length;
  };
}
