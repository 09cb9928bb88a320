import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';
import { type Logger, redisKey } from '@flotilla/platform';
import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import type {
  BlobInventory,
  BlobReferenceCheck,
  StoredFile,
  SweepPosition,
} from '../application/orphan-blobs.ports.js';

/** How long a saved position lives: far longer than any sweep interval; lost, the walk starts over. */
const POSITION_TTL_SECONDS = 7 * 24 * 3600;

/** data-mongo's listing by age and its delete, as the sweep's inventory. */
export function createBlobInventory(blobs: Pick<DataMongoClient['blobs'], 'list' | 'delete'>): BlobInventory {
  return {
    async listCreatedBefore(before, limit, from) {
      const page = await blobs.list({
        created_before: before.toISOString(),
        limit,
        ...(from !== undefined && { cursor: from }),
      });
      return {
        files: page.items.map(
          (item): StoredFile => ({
            id: item.id,
            ownerId: item.owner_id,
            sizeBytes: item.size,
            createdAt: new Date(item.created_at),
          }),
        ),
        next: page.next_cursor ?? undefined,
      };
    },
    delete: (id) => blobs.delete(id),
  };
}

/** data-postgres's reference lookup over the media jobs. */
export function createBlobReferenceCheck(
  jobs: Pick<DataPostgresClient['mediaJobs'], 'blobReferences'>,
): BlobReferenceCheck {
  return {
    async referenced(ids) {
      if (ids.length === 0) return new Set();
      const { referenced } = await jobs.blobReferences({ blob_ids: [...ids] });
      return new Set(referenced);
    },
  };
}

/** The sweep's position in Redis (`sweep:orphan-blobs:<namespace>`), shared by the replicas. */
export function createSweepPosition(redis: Redis, namespace: string): SweepPosition {
  const key = redisKey('sweep', 'orphan-blobs', namespace);
  return {
    async load() {
      return (await redis.get(key)) ?? undefined;
    },
    async save(position) {
      if (position === undefined) await redis.del(key);
      else await redis.set(key, position, 'EX', POSITION_TTL_SECONDS);
    },
  };
}

/** Metrics and log of the files the sweep deletes. No blob or owner id as a label. */
export function createOrphanBlobReporter(registry: Registry, logger: Logger) {
  const files = new Counter({
    name: 'worker_orphan_blobs_deleted_total',
    help: 'Files the orphan-blob sweep deleted (no job referenced them past the grace period).',
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'worker_orphan_blobs_deleted_bytes_total',
    help: 'Bytes of the files the orphan-blob sweep deleted.',
    registers: [registry],
  });
  const scanned = new Counter({
    name: 'worker_orphan_blobs_scanned_total',
    help: 'Files the orphan-blob sweep examined.',
    registers: [registry],
  });
  return {
    deleted(file: StoredFile, ageSeconds: number) {
      files.inc();
      bytes.inc(file.sizeBytes);
      logger.info(
        { blob_id: file.id, owner_id: file.ownerId, size_bytes: file.sizeBytes, age_seconds: ageSeconds },
        'orphan file deleted: no job references it',
      );
    },
    scanned(count: number) {
      scanned.inc(count);
    },
  };
}
