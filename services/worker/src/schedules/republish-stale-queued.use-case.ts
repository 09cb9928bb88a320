import type { JobAnnouncers, ScheduledJobStore } from './job-announcer.js';

/**
 * The lost-publish schedule: a job `queued` for longer than `olderThanSeconds` most likely never had
 * its start event published (the uploader crashed between the insert and the publish), so it is
 * published again. A job that was only waiting in a long queue gets a second message, which the
 * consumer absorbs (the first claim wins, the other finds the job finished). Returns the jobs handled.
 */
export function createRepublishStaleQueued(deps: {
  jobs: ScheduledJobStore;
  announcers: JobAnnouncers;
  olderThanSeconds: number;
  limit: number;
}) {
  return async function republishStaleQueued(): Promise<number> {
    const { items } = await deps.jobs.listStaleQueued({
      older_than_seconds: deps.olderThanSeconds,
      limit: deps.limit,
    });
    for (const job of items) await deps.announcers[job.kind].restart(job);
    return items.length;
  };
}
