import { Readable } from 'node:stream';
import type { Binary, Collection } from 'mongodb';

/** A GridFS chunk document. */
export interface ChunkDocument {
  files_id: string;
  n: number;
  data: Binary;
}

/** What a read needs to know of the file: its id, size and chunk size. */
export interface ChunkedFile {
  id: string;
  length: number;
  chunkSize: number;
}

/**
 * Chunks fetched per round trip. The driver's GridFS download stream takes the server's default first
 * batch (101 chunks, up to 16 MiB on MongoDB and about 25 MiB on FerretDB), which would hold most of a
 * mid-sized file in memory per download; four chunks keep a download to about 1 MiB.
 */
export const CHUNKS_PER_BATCH = 4;

/**
 * Streams bytes `start` to `end` (inclusive) of a GridFS file straight from its chunks, in order, a few
 * chunks per batch, with backpressure (the next batch is fetched only as the reader consumes). A missing or
 * misplaced chunk fails the stream. Destroying the stream closes the cursor.
 */
export function readChunkRange(
  chunks: Collection<ChunkDocument>,
  file: ChunkedFile,
  start: number,
  end: number,
): Readable {
  const first = Math.floor(start / file.chunkSize);
  const last = Math.floor(end / file.chunkSize);

  async function* generate(): AsyncGenerator<Buffer> {
    const cursor = chunks
      .find({ files_id: file.id, n: { $gte: first, $lte: last } }, { projection: { _id: 0, n: 1, data: 1 } })
      .sort({ n: 1 })
      .batchSize(CHUNKS_PER_BATCH);
    let expected = first;
    try {
      for await (const chunk of cursor) {
        if (chunk.n !== expected) throw new Error(`chunk ${expected} of blob ${file.id} is missing`);
        const data = chunk.data.read(0, chunk.data.length());
        const expectedSize = Math.min(file.chunkSize, file.length - chunk.n * file.chunkSize);
        if (data.length !== expectedSize)
          throw new Error(`chunk ${chunk.n} of blob ${file.id} has the wrong size`);
        const from = chunk.n === first ? start - first * file.chunkSize : 0;
        const to = chunk.n === last ? end - last * file.chunkSize + 1 : data.length;
        yield Buffer.from(data.buffer, data.byteOffset + from, to - from);
        expected += 1;
      }
      if (expected !== last + 1) throw new Error(`chunk ${expected} of blob ${file.id} is missing`);
    } finally {
      await cursor.close();
    }
  }

  return Readable.from(generate(), { objectMode: false });
}
