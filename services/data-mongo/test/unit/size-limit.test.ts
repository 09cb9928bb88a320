import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { SizeLimitExceededError, SizeLimitStream } from '../../src/modules/blobs/size-limit.js';

function source(pieces: number[]): Readable {
  return Readable.from(pieces.map((size) => Buffer.alloc(size, 1)));
}

function sink(): Writable & { received: number } {
  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writable.received += chunk.length;
      callback();
    },
  }) as Writable & { received: number };
  writable.received = 0;
  return writable;
}

describe('SizeLimitStream', () => {
  it('passes a body of exactly the limit through and counts it', async () => {
    const limit = new SizeLimitStream(100);
    const out = sink();
    await pipeline(source([40, 60]), limit, out);
    expect(limit.bytes).toBe(100);
    expect(out.received).toBe(100);
  });

  it('fails on the first piece past the limit, without passing it on', async () => {
    const out = sink();
    const error = await pipeline(source([60, 41, 1000]), new SizeLimitStream(100), out).catch(
      (caught) => caught,
    );
    expect(error).toBeInstanceOf(SizeLimitExceededError);
    expect(error.limit).toBe(100);
    expect(out.received).toBe(60);
  });

  it('stops reading the source when the limit is hit', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 1024;
        this.push(Buffer.alloc(1024));
      },
    });
    await expect(pipeline(endless, new SizeLimitStream(10 * 1024), sink())).rejects.toThrow(
      SizeLimitExceededError,
    );
    expect(produced).toBeLessThan(200 * 1024);
  });
});
