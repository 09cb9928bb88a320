import type { Readable } from 'node:stream';
import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';
import type { Dimensions } from '../domain/resize-plan.js';

/** The media-job calls of data-postgres the worker uses (the typed client satisfies it). */
export type MediaJobStore = Pick<
  DataPostgresClient['mediaJobs'],
  | 'get'
  | 'claim'
  | 'progress'
  | 'complete'
  | 'fail'
  | 'release'
  | 'requeue'
  | 'listExpiredLeases'
  | 'listStaleQueued'
  | 'listFinished'
  | 'delete'
>;

/** The blob calls of data-mongo the worker uses (the typed client satisfies it). */
export type BlobStore = Pick<DataMongoClient['blobs'], 'download' | 'upload' | 'delete'>;

/**
 * Deletes files that no job owns (the outputs of an attempt that did not complete its job). What
 * cannot be deleted now (data-mongo unavailable) is remembered and deleted later; never throws.
 */
export type BlobDiscarder = (blobIds: readonly string[]) => Promise<void>;

/** Publishes a domain event of the catalogue (the messaging module satisfies it). */
export interface EventPublisher {
  publish<D>(eventType: string, data: D, options?: { eventId?: string; userId?: string }): Promise<unknown>;
}

/** One encoded image. */
export interface EncodedImage extends Dimensions {
  data: Buffer;
}

/** What a photo transformation produced. */
export interface TransformedPhoto {
  /** Media type of `output` and `thumbnail`, e.g. `image/jpeg`. */
  contentType: string;
  /** File extension of that type, without the dot. */
  extension: string;
  /** The upright original's dimensions. */
  original: Dimensions;
  output: EncodedImage;
  thumbnail: EncodedImage;
}

/**
 * Turns an uploaded photo into its processed version and thumbnail. Fails with a permanent
 * `mediaErrors` error when the input cannot be processed (too many pixels, damaged, unsupported).
 */
export interface PhotoTransformer {
  transform(input: Buffer): Promise<TransformedPhoto>;
}

/** Reads a stream fully into memory, failing once it grows past `maxBytes`. */
export type ReadBounded = (body: Readable, maxBytes: number) => Promise<Buffer>;
