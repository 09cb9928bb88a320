import { Readable } from 'node:stream';

/** The first bytes of a stream, and the whole stream (those bytes included) to read on from there. */
export interface StreamHead {
  /** At most `bytes` bytes from the start (fewer only when the stream is shorter). */
  head: Buffer;
  /** True when the stream ended within the head. */
  ended: boolean;
  /** The complete content: the head, then the rest of the source. Consume it or destroy it. */
  whole: Readable;
}

/**
 * Reads the first `bytes` bytes of `source` without losing them: the type of an upload is decided from its
 * first bytes, then the whole file streams on. Only the head is ever held in memory.
 */
export async function readHead(source: Readable, bytes: number): Promise<StreamHead> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    length += chunk.length;
  }
  const all = Buffer.concat(chunks);
  const head = all.subarray(0, bytes);
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      if (all.length > 0) yield all;
      if (ended) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // Ends the source too when the consumer stops early (an error downstream, a destroyed stream).
      if (!ended) await iterator.return?.();
    }
  }
  return { head, ended, whole: Readable.from(replay(), { objectMode: false }) };
}
