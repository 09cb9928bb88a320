import type { MediaJobKind, MediaJobPage, MediaJobStatus } from '@flotilla/contracts';
import { isUpstreamHttpError, pageErrors } from '@flotilla/platform';
import type { MediaJobStore } from './media.ports.js';

/** A page of one user's jobs. */
export interface ListMediaInput {
  ownerId: string;
  limit?: number;
  cursor?: string;
  status?: MediaJobStatus;
  kind?: MediaJobKind;
}

/** Lists a user's own jobs, newest first, with data-postgres' opaque keyset cursor. */
export function createListMedia(deps: { jobs: Pick<MediaJobStore, 'list'> }) {
  return async function listMedia(input: ListMediaInput): Promise<MediaJobPage> {
    try {
      return await deps.jobs.list({
        owner_id: input.ownerId,
        ...(input.limit !== undefined && { limit: input.limit }),
        ...(input.cursor !== undefined && { cursor: input.cursor }),
        ...(input.status !== undefined && { status: input.status }),
        ...(input.kind !== undefined && { kind: input.kind }),
      });
    } catch (error) {
      // Everything else was validated here: a 422 upstream can only be about the cursor.
      if (isUpstreamHttpError(error, 422)) throw pageErrors.INVALID_CURSOR({ cause: error });
      throw error;
    }
  };
}
