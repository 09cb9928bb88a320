import type { Readable } from 'node:stream';
import { knowledgeErrors } from '../errors/knowledge.errors.js';

/** Reads a stream into memory, refusing with `KNOWLEDGE.TOO_LARGE` past `maxBytes` (the stream is destroyed). */
export async function readBounded(source: Uint8Array | Readable, maxBytes: number): Promise<Uint8Array> {
  if (source instanceof Uint8Array) {
    if (source.byteLength > maxBytes) {
      throw knowledgeErrors.TOO_LARGE({ detail: `${source.byteLength} bytes > ${maxBytes} bytes.` });
    }
    return source;
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of source) {
    const buffer = typeof part === 'string' ? Buffer.from(part) : (part as Buffer);
    size += buffer.byteLength;
    if (size > maxBytes) {
      source.destroy();
      throw knowledgeErrors.TOO_LARGE({ detail: `More than ${maxBytes} bytes.` });
    }
    parts.push(buffer);
  }
  return Buffer.concat(parts, size);
}
