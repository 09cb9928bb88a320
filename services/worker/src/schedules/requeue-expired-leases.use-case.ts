import { MediaJobErrorCode } from '@flotilla/contracts';
import { isUpstreamHttpError } from '@flotilla/platform';
import type { MediaJobStore } from './photo.ports.js';
import type { PhotoJobEvents } from './photo-job-events.js';

/**
 * The lease-expiry schedule: a job still `processing` after its lease expired lost its worker (killed,
 * partitioned). It is put back to `queued` and `media.uploaded` is published again, or, when it used
 * all its attempts, it becomes `failed` and `media.failed` is published. Returns the jobs handled.
 */
export function createRequeueExpiredLeases(deps: {
  jobs: MediaJobStore;
  events: PhotoJobEvents;
  limit: number;
}) {
  return async function requeueExpiredLeases(): Promise<number> {
    const { items } = await deps.jobs.listExpiredLeases({ limit: deps.limit });
    let handled = 0;
    // Photo jobs only: jobs of other kinds are announced by other events.
    for (const expired of items.filter((job) => job.kind === 'photo')) {
      let job: Awaited<ReturnType<MediaJobStore['requeue']>>;
      try {
        job = await deps.jobs.requeue(expired.id);
      } catch (error) {
        // Renewed or finished meanwhile (a slow worker caught up, or another replica requeued it).
        const code = isUpstreamHttpError(error) ? error.upstreamCode : undefined;
        if (code === MediaJobErrorCode.LEASE_ACTIVE || code === MediaJobErrorCode.ILLEGAL_TRANSITION)
          continue;
        throw error;
      }
      if (job.status === 'queued') await deps.events.uploaded(job);
      else if (job.status === 'failed' && job.error) await deps.events.failed(job, job.error, undefined, {});
      handled += 1;
    }
    return handled;
  };
}
