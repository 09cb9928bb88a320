import { MediaJobErrorCode } from '@flotilla/contracts';
import { isUpstreamHttpError } from '@flotilla/platform';
import type { JobAnnouncers, ScheduledJobStore } from './job-announcer.js';

/**
 * The lease-expiry schedule: a job still `processing` after its lease expired lost its worker (killed,
 * partitioned). It is put back to `queued` and its start event is published again, or, when it used
 * all its attempts, it becomes `failed` and its failure is announced. Returns the jobs handled.
 */
export function createRequeueExpiredLeases(deps: {
  jobs: ScheduledJobStore;
  announcers: JobAnnouncers;
  limit: number;
}) {
  return async function requeueExpiredLeases(): Promise<number> {
    const { items } = await deps.jobs.listExpiredLeases({ limit: deps.limit });
    let handled = 0;
    for (const expired of items) {
      let job: Awaited<ReturnType<ScheduledJobStore['requeue']>>;
      try {
        job = await deps.jobs.requeue(expired.id);
      } catch (error) {
        // Renewed or finished meanwhile (a slow worker caught up, or another replica requeued it).
        const code = isUpstreamHttpError(error) ? error.upstreamCode : undefined;
        if (code === MediaJobErrorCode.LEASE_ACTIVE || code === MediaJobErrorCode.ILLEGAL_TRANSITION)
          continue;
        throw error;
      }
      const announcer = deps.announcers[job.kind];
      if (job.status === 'queued') await announcer.restart(job);
      else if (job.status === 'failed' && job.error) await announcer.exhausted(job, job.error);
      handled += 1;
    }
    return handled;
  };
}
