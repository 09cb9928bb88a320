import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/** Thrown by {@link readBoundedBody} when a body exceeds its limit. */
export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';

  constructor(readonly limit: number) {
    super(`Response body larger than ${limit} bytes`);
  }
}

/**
 * Reads a response body into memory, up to `limit` bytes: a larger body is destroyed (freeing the
 * connection) and {@link ResponseTooLargeError} is thrown, so one bad answer cannot exhaust memory.
 */
export async function readBoundedBody(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > limit) {
      body.destroy();
      throw new ResponseTooLargeError(limit);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}

/** True for `application/json` and any `+json` type (`application/problem+json`). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/**
 * Decodes a buffered body: parsed JSON for JSON types, `undefined` when empty, else UTF-8 text.
 * Throws `SyntaxError` when a JSON body does not parse.
 */
export function decodeBody(buffer: Buffer, headers: IncomingHttpHeaders): unknown {
  if (buffer.length === 0) return undefined;
  if (isJsonContentType(headers['content-type'])) return JSON.parse(buffer.toString('utf8'));
  return buffer.toString('utf8');
}
