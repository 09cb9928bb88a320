import { isInfrastructureFailure, type Logger, redisKey } from '@flotilla/platform';
import type { Redis } from 'ioredis';
import type { BlobDiscarder, BlobStore } from '../application/photo.ports.js';

/** The set of blob ids still to delete (files no job owns, left while data-mongo was unavailable). */
export const PENDING_BLOB_DELETIONS_KEY = redisKey('cleanup', 'blobs', 'pending');

/** How long the set lives after its last addition: far longer than any data-mongo outage. */
const PENDING_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Deletes files no job owns: at once, or, when data-mongo is unavailable, later. Ids that could not be
 * deleted go to a Redis set that the `blob-cleanup` schedule works through, so an outage of the store
 * leaves no orphan file behind once it is back.
 */
export function createBlobDiscarder(deps: {
  redis: Redis;
  blobs: Pick<BlobStore, 'delete'>;
  logger: Logger;
}) {
  const { redis, blobs, logger } = deps;

  async function remember(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await redis
        .multi()
        .sadd(PENDING_BLOB_DELETIONS_KEY, ...ids)
        .expire(PENDING_BLOB_DELETIONS_KEY, PENDING_TTL_SECONDS)
        .exec();
    } catch (error) {
      logger.error(
        { err: error, blob_ids: ids },
        'files to delete could not be remembered; they stay in data-mongo',
      );
    }
  }

  const discard: BlobDiscarder = async (ids) => {
    const later: string[] = [];
    await Promise.all(
      ids.map(async (id) => {
        try {
          await blobs.delete(id);
        } catch (error) {
          if (isInfrastructureFailure(error)) later.push(id);
          else logger.warn({ err: error, blob_id: id }, 'could not delete a file no job owns');
        }
      }),
    );
    await remember(later);
  };

  /** The schedule's run: deletes up to `limit` remembered files; stops early while data-mongo is unavailable. */
  async function sweep(limit: number): Promise<number> {
    const ids = await redis.srandmember(PENDING_BLOB_DELETIONS_KEY, limit);
    let deleted = 0;
    for (const id of ids) {
      try {
        await blobs.delete(id);
      } catch (error) {
        if (isInfrastructureFailure(error)) break;
        logger.warn({ err: error, blob_id: id }, 'could not delete a remembered file; forgetting it');
      }
      await redis.srem(PENDING_BLOB_DELETIONS_KEY, id);
      deleted += 1;
    }
    return deleted;
  }

  return { discard, sweep };
}
