import type { MediaJob } from '@flotilla/contracts';
import { mediaErrors } from '../domain/media.errors.js';
import type { MediaJobStore } from './media.ports.js';

/** Reads a job of its owner; someone else's job is as absent as a job that does not exist. */
export function createGetMedia(deps: { jobs: Pick<MediaJobStore, 'get'> }) {
  return async function getMedia(input: { ownerId: string; jobId: string }): Promise<MediaJob> {
    const job = await deps.jobs.get(input.jobId);
    if (!job || job.owner_id !== input.ownerId) throw mediaErrors.NOT_FOUND();
    return job;
  };
}
