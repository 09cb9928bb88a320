import type { MediaJob } from '@flotilla/contracts';
import type { JobDirectory } from './files.ports.js';

/** One page of a user's files, newest first, and the cursor of the next page (if any). */
export interface FilesPage {
  items: MediaJob[];
  nextCursor: string | null;
}

/** Lists a user's photos and documents with their status, a page at a time (data-postgres' cursor). */
export function createListFiles(deps: { jobs: JobDirectory; pageSize: number }) {
  return async function listFiles(input: { ownerId: string; cursor?: string }): Promise<FilesPage> {
    const page = await deps.jobs.list({
      owner_id: input.ownerId,
      limit: deps.pageSize,
      ...(input.cursor ? { cursor: input.cursor } : {}),
    });
    return { items: page.items, nextCursor: page.next_cursor ?? null };
  };
}
