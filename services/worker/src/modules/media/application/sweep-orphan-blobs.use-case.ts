import type { BlobInventory, BlobReferenceCheck, StoredFile, SweepPosition } from './orphan-blobs.ports.js';

/** Dependencies of {@link createSweepOrphanBlobs}. */
export interface SweepOrphanBlobsDeps {
  inventory: BlobInventory;
  references: BlobReferenceCheck;
  position: SweepPosition;
  /** Files younger than this are never examined: an upload whose job is not written yet is not an orphan. */
  graceSeconds: number;
  /** Files examined by one run at most (the walk goes on from there at the next run). */
  scanLimit: number;
  /** Files per listing call (and per reference check). */
  pageSize?: number;
  now?: () => number;
  /** Told of each file deleted (metrics, log). */
  onDeleted?: (file: StoredFile, ageSeconds: number) => void;
}

/** What one run did. */
export interface SweepReport {
  scanned: number;
  deleted: number;
  deletedBytes: number;
  /** True when the run reached the youngest file past the grace period (the next run starts over). */
  wrapped: boolean;
}

/**
 * The orphan-blob sweep: files in the blob store that no job references (as original, result or
 * thumbnail; a document's file is its job's original), older than the grace period, are deleted.
 * They are what a crash or a lost answer leaves behind: a worker killed after storing a result and
 * before completing the job, an uploader that gave up at its deadline after data-mongo stored the file,
 * a clean-up that could not reach the store. Each run examines up to `scanLimit` files, the oldest first,
 * from where the previous run stopped, so a large store is walked a slice at a time.
 *
 * Safe by construction: only files older than the grace period are listed (an upload in flight has no
 * file document at all, and a finished one has its job written well within the grace period), and a file
 * is deleted only after data-postgres said no job references it.
 */
export function createSweepOrphanBlobs(deps: SweepOrphanBlobsDeps) {
  const now = deps.now ?? Date.now;
  const pageSize = deps.pageSize ?? 200;

  return async function sweepOrphanBlobs(): Promise<SweepReport> {
    const startedAt = now();
    const before = new Date(startedAt - deps.graceSeconds * 1000);
    const report: SweepReport = { scanned: 0, deleted: 0, deletedBytes: 0, wrapped: false };
    let position = await deps.position.load();
    while (report.scanned < deps.scanLimit) {
      const limit = Math.min(pageSize, deps.scanLimit - report.scanned);
      const page = await deps.inventory.listCreatedBefore(before, limit, position);
      report.scanned += page.files.length;
      if (page.files.length > 0) {
        const referenced = await deps.references.referenced(page.files.map((file) => file.id));
        for (const file of page.files) {
          if (referenced.has(file.id)) continue;
          if (!(await deps.inventory.delete(file.id))) continue;
          report.deleted += 1;
          report.deletedBytes += file.sizeBytes;
          deps.onDeleted?.(file, Math.round((startedAt - file.createdAt.getTime()) / 1000));
        }
      }
      position = page.next;
      if (position === undefined) {
        report.wrapped = true;
        break;
      }
    }
    await deps.position.save(position);
    return report;
  };
}

/** The use case built by {@link createSweepOrphanBlobs}. */
export type SweepOrphanBlobs = ReturnType<typeof createSweepOrphanBlobs>;
