import type { WorkerConfig } from '../config.js';
import type { JobAnnouncers, ScheduledJobStore } from './job-announcer.js';
import { createRepublishStaleQueued } from './republish-stale-queued.use-case.js';
import { createRequeueExpiredLeases } from './requeue-expired-leases.use-case.js';
import type { ScheduleSpec } from './schedule.runner.js';

/** The schedules that keep jobs of every kind moving: expired leases and lost publishes. */
export function createJobSchedules(deps: {
  config: WorkerConfig;
  jobs: ScheduledJobStore;
  announcers: JobAnnouncers;
}): ScheduleSpec[] {
  const { config, jobs, announcers } = deps;
  const limit = config.schedules.batchLimit;
  return [
    {
      name: 'expired-leases',
      intervalMs: config.schedules.expiredLeasesIntervalMs,
      run: createRequeueExpiredLeases({ jobs, announcers, limit }),
    },
    {
      name: 'stale-queued',
      intervalMs: config.schedules.staleQueuedIntervalMs,
      run: createRepublishStaleQueued({
        jobs,
        announcers,
        olderThanSeconds: config.media.staleQueuedSeconds,
        limit,
      }),
    },
  ];
}
