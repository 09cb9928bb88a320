import { Transform, type TransformCallback } from 'node:stream';

/** Raised by {@link SizeLimitStream} on the first byte past its limit. */
export class SizeLimitExceededError extends Error {
  override readonly name = 'SizeLimitExceededError';

  constructor(readonly limit: number) {
    super(`More than ${limit} bytes`);
  }
}

/**
 * Passes bytes through while counting them, and fails with {@link SizeLimitExceededError} as soon as more
 * than `limit` bytes went by: an oversized body is stopped while it streams, never buffered first.
 */
export class SizeLimitStream extends Transform {
  /** Bytes passed through so far. */
  bytes = 0;

  constructor(readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(new SizeLimitExceededError(this.limit));
      return;
    }
    callback(null, chunk);
  }
}
