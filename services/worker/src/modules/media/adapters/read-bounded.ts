import type { Readable } from 'node:stream';
import { mediaErrors } from '../domain/media.errors.js';

/** Reads a stream fully into memory; destroys it and fails with `MEDIA.TOO_LARGE` past `maxBytes`. */
export async function readBounded(body: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > maxBytes) {
      body.destroy();
      throw mediaErrors.TOO_LARGE({ detail: `The file is larger than the limit of ${maxBytes} bytes` });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}
