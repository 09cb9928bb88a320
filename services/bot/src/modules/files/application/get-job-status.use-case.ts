import type { MediaJob } from '@flotilla/contracts';
import type { JobDirectory } from './files.ports.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One of the user's jobs, or `undefined` (someone else's job is as absent as one that does not exist). */
export function createGetJobStatus(deps: { jobs: JobDirectory }) {
  return async function getJobStatus(input: {
    ownerId: string;
    jobId: string;
  }): Promise<MediaJob | undefined> {
    if (!UUID.test(input.jobId)) return undefined;
    const job = await deps.jobs.get(input.jobId.toLowerCase());
    return job && job.owner_id === input.ownerId ? job : undefined;
  };
}
