import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDomainError, type Logger, newId } from '@flotilla/platform';
import { type Db, GridFSBucket, type GridFSBucketWriteStream, type ObjectId } from 'mongodb';
import { ensureIndexes } from '../../db/indexes.js';
import { isServerUnreachable, type MongoTimer } from '../../db/mongo-timer.js';
import { storageErrors } from '../../db/storage.errors.js';
import { blobErrors } from './blobs.errors.js';
import { type ChunkDocument, readChunkRange } from './chunk-reader.js';
import { SizeLimitExceededError, SizeLimitStream } from './size-limit.js';

/** Interval of the retries that delete partial uploads left while MongoDB was unreachable. */
const LEFTOVER_SWEEP_MS = 5000;

/** GridFS bucket of the blobs: collections `blobs.files` and `blobs.chunks`. */
export const BLOB_BUCKET = 'blobs';

/** A stored file, without its bytes. */
export interface StoredBlob {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  ownerId: string;
  createdAt: Date;
  /** Bytes per GridFS chunk of this file. */
  chunkSize: number;
}

/** What an upload stores besides the bytes. */
export interface BlobUpload {
  filename: string;
  contentType: string;
  ownerId: string;
  /** The upload fails with `BLOB.TOO_LARGE` on the first byte past this. */
  maxBytes: number;
}

/** Our metadata in the GridFS file document. */
interface BlobFileMetadata {
  owner_id: string;
  content_type: string;
  sha256: string;
}

/** The GridFS file document as data-mongo writes it (`_id` is the blob's UUID v7 string). */
interface BlobFileDocument {
  _id: string;
  length: number;
  chunkSize: number;
  uploadDate: Date;
  filename: string;
  metadata: BlobFileMetadata;
}

/**
 * Files in GridFS. Streams in both directions and never holds a whole file in memory: uploads go through
 * the driver's GridFSBucket write stream, downloads read the chunks directly (see `chunk-reader.ts`).
 */
export interface BlobStore {
  ensureIndexes(): Promise<void>;
  /**
   * Streams `source` into a new GridFS file, computing its SHA-256 and enforcing `maxBytes` on the way.
   * On any failure (too large, client gone, database error) the partial file is deleted before the error
   * is rethrown, so nothing is left behind.
   */
  upload(source: Readable, upload: BlobUpload): Promise<StoredBlob>;
  find(id: string): Promise<StoredBlob | undefined>;
  /** The bytes of a non-empty blob, whole or from `start` to `end` inclusive, read a few chunks at a time. */
  openDownload(blob: StoredBlob, range?: { start: number; end: number }): Readable;
  /** Deletes a blob's file document and chunks; `false` when there was no such file. */
  delete(id: string): Promise<boolean>;
  /**
   * Up to `limit` files created before `before`, the oldest first (creation time, then id), after the
   * keyset position `after` when given. Only finished uploads have a file document, so an upload in
   * flight is never listed.
   */
  listCreatedBefore(before: Date, limit: number, after?: BlobPosition): Promise<StoredBlob[]>;
}

/** A position in the listing by age: the creation time and id of the last file seen. */
export interface BlobPosition {
  createdAt: Date;
  id: string;
}

// GridFS accepts any `_id`; the driver's typings name ObjectId, the only id type they expect.
function asGridFsId(id: string): ObjectId {
  return id as unknown as ObjectId;
}

function toStoredBlob(file: BlobFileDocument): StoredBlob {
  return {
    id: file._id,
    filename: file.filename,
    contentType: file.metadata.content_type,
    size: file.length,
    sha256: file.metadata.sha256,
    ownerId: file.metadata.owner_id,
    createdAt: file.uploadDate,
    chunkSize: file.chunkSize,
  };
}

/** Creates the GridFS blob store. */
export function createBlobStore(db: Db, timeMongo: MongoTimer, logger: Logger): BlobStore {
  const bucket = new GridFSBucket(db, { bucketName: BLOB_BUCKET });
  const files = db.collection<BlobFileDocument>(`${BLOB_BUCKET}.files`);
  const chunks = db.collection<ChunkDocument>(`${BLOB_BUCKET}.chunks`);

  /** Partial uploads that could not be deleted while MongoDB was unreachable: deleted later. */
  const leftovers = new Set<string>();
  let sweeper: NodeJS.Timeout | undefined;
  let sweeping = false;

  async function deletePartial(id: string): Promise<void> {
    await chunks.deleteMany({ files_id: id });
    await files.deleteOne({ _id: id });
  }

  /** Retries the deletion of leftovers every few seconds until MongoDB answers again. */
  function sweepLater(): void {
    if (sweeper) return;
    sweeper = setInterval(async () => {
      if (sweeping) return;
      sweeping = true;
      try {
        for (const id of [...leftovers]) {
          await deletePartial(id);
          leftovers.delete(id);
          logger.info(
            { blob_id: id },
            'deleted the chunks of a failed upload left while MongoDB was unreachable',
          );
        }
      } catch {
        // Still unreachable: the next tick tries again.
      } finally {
        sweeping = false;
      }
      if (leftovers.size === 0) {
        clearInterval(sweeper);
        sweeper = undefined;
      }
    }, LEFTOVER_SWEEP_MS);
    sweeper.unref();
  }

  /** Leaves the chunks of upload `id` to the background sweep, which deletes them once MongoDB answers. */
  function deleteLater(id: string, error: unknown): void {
    leftovers.add(id);
    sweepLater();
    logger.warn(
      { err: error, blob_id: id },
      'MongoDB unreachable: the chunks of a failed upload will be deleted later',
    );
  }

  /**
   * Deletes what a failed upload wrote. A chunk insert already sent when the stream was destroyed can land
   * after a first delete, so the in-flight inserts (counted by the driver) are awaited first, within a bound.
   * When MongoDB itself is what failed, the deletion is retried in the background until it answers: at
   * once when the upload failed for that reason (deleting now would wait MONGO_TIMEOUT_MS a second time
   * before the caller gets its answer), else when the deletion finds it unreachable.
   */
  async function discardPartialUpload(
    id: string,
    stream: GridFSBucketWriteStream,
    failure: unknown,
  ): Promise<void> {
    if (isDomainError(failure) && failure.code === storageErrors.UNAVAILABLE.definition.code) {
      deleteLater(id, failure.cause);
      return;
    }
    for (
      let waited = 0;
      stream.state.outstandingRequests > 0 && !stream.state.errored && waited < 5000;
      waited += 10
    ) {
      await sleep(10);
    }
    try {
      await deletePartial(id);
    } catch (error) {
      if (isServerUnreachable(error)) {
        deleteLater(id, error);
      } else {
        logger.warn({ err: error, blob_id: id }, 'could not delete the chunks of a failed upload');
      }
    }
  }

  return {
    async ensureIndexes() {
      // The indexes the driver would create on the first upload, created up front under the driver's names.
      await ensureIndexes(files, [{ key: { filename: 1, uploadDate: 1 }, name: 'filename_1_uploadDate_1' }]);
      await ensureIndexes(chunks, [{ key: { files_id: 1, n: 1 }, name: 'files_id_1_n_1', unique: true }]);
      // The listing by age (the worker's sweep of files nothing references).
      await ensureIndexes(files, [{ key: { uploadDate: 1, _id: 1 }, name: 'uploadDate_1__id_1' }]);
    },

    async upload(source, upload) {
      const id = newId();
      const metadata: BlobFileMetadata = {
        owner_id: upload.ownerId,
        content_type: upload.contentType,
        sha256: '',
      };
      const stream = bucket.openUploadStreamWithId(asGridFsId(id), upload.filename, { metadata });
      const hash = createHash('sha256');
      const digest = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          callback(null, chunk);
        },
        flush(callback) {
          // Runs once the source has ended and before the GridFS stream finishes, which is when it writes
          // the file document from its (public) options: so the document carries the digest.
          stream.options.metadata = { ...metadata, sha256: hash.digest('hex') };
          callback();
        },
      });
      try {
        await timeMongo('blobs.upload', () =>
          pipeline(source, new SizeLimitStream(upload.maxBytes), digest, stream),
        );
      } catch (error) {
        await discardPartialUpload(id, stream, error);
        if (error instanceof SizeLimitExceededError) {
          throw blobErrors.TOO_LARGE({ detail: `The file is larger than ${error.limit} bytes.` });
        }
        throw error;
      }
      const stored = stream.gridFSFile as unknown as BlobFileDocument | null;
      if (!stored) throw new Error(`GridFS upload of ${id} finished without a file document`);
      return toStoredBlob(stored);
    },

    async find(id) {
      const file = await timeMongo('blobs.find', () => files.findOne({ _id: id }));
      return file ? toStoredBlob(file) : undefined;
    },

    openDownload(blob, range) {
      const file = { id: blob.id, length: blob.size, chunkSize: blob.chunkSize };
      return readChunkRange(chunks, file, range?.start ?? 0, range?.end ?? blob.size - 1);
    },

    async listCreatedBefore(before, limit, after) {
      const filter = after
        ? {
            $or: [
              { uploadDate: { $gt: after.createdAt, $lt: before } },
              { uploadDate: after.createdAt, _id: { $gt: after.id } },
            ],
          }
        : { uploadDate: { $lt: before } };
      const found = await timeMongo('blobs.list', () =>
        files.find(filter).sort({ uploadDate: 1, _id: 1 }).limit(limit).toArray(),
      );
      return found.map(toStoredBlob);
    },

    async delete(id) {
      return timeMongo('blobs.delete', async () => {
        const { deletedCount } = await files.deleteOne({ _id: id });
        // Chunks go even when the file document was already gone: a retried delete finishes an interrupted one.
        await chunks.deleteMany({ files_id: id });
        return deletedCount === 1;
      });
    },
  };
}
