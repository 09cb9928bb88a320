import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';

/** Raised by {@link MeteredStream} on the first byte past its limit. */
export class UploadTooLargeError extends Error {
  override readonly name = 'UploadTooLargeError';

  constructor(readonly limit: number) {
    super(`More than ${limit} bytes`);
  }
}

/** Raised by {@link MeteredStream} when text content is not valid UTF-8 or contains a NUL byte. */
export class UploadNotTextError extends Error {
  override readonly name = 'UploadNotTextError';
}

/** Options of {@link MeteredStream}. */
export interface MeteredStreamOptions {
  /** Largest number of bytes let through. */
  maxBytes: number;
  /** Check that the content is UTF-8 text without NUL bytes (for txt and md, which have no magic bytes). */
  text?: boolean;
}

/**
 * Passes an upload through while counting its bytes and hashing it (SHA-256), and fails as soon as it is
 * larger than the limit or, for text, as soon as a byte sequence is not UTF-8: nothing is buffered.
 */
export class MeteredStream extends Transform {
  /** Bytes passed through so far. */
  bytes = 0;
  private readonly hash = createHash('sha256');
  private readonly decoder: TextDecoder | undefined;
  private digest: string | undefined;

  constructor(private readonly options: MeteredStreamOptions) {
    super();
    this.decoder = options.text ? new TextDecoder('utf-8', { fatal: true }) : undefined;
  }

  /** SHA-256 of everything that went through (lower-case hex); available once the stream has flushed. */
  sha256(): string {
    if (this.digest === undefined) throw new Error('the stream has not finished');
    return this.digest;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.options.maxBytes) {
      callback(new UploadTooLargeError(this.options.maxBytes));
      return;
    }
    if (this.decoder) {
      if (chunk.includes(0)) {
        callback(new UploadNotTextError('The text contains a NUL byte'));
        return;
      }
      try {
        this.decoder.decode(chunk, { stream: true });
      } catch {
        callback(new UploadNotTextError('The text is not valid UTF-8'));
        return;
      }
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.decoder) {
      try {
        this.decoder.decode();
      } catch {
        callback(new UploadNotTextError('The text ends inside a UTF-8 character'));
        return;
      }
    }
    this.digest = this.hash.digest('hex');
    callback();
  }
}
