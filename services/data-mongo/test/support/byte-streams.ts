import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/**
 * A body of `size` random bytes generated on the fly in 64 KiB pieces (never held whole), with its
 * SHA-256 available once it has been read to the end.
 */
export function generatedBody(size: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let produced = 0;
  let digest: string | undefined;
  const stream = new Readable({
    read() {
      if (produced >= size) {
        digest = hash.digest('hex');
        this.push(null);
        return;
      }
      const piece = randomBytes(Math.min(64 * 1024, size - produced));
      produced += piece.length;
      hash.update(piece);
      this.push(piece);
    },
  });
  return {
    stream,
    sha256() {
      if (digest === undefined) throw new Error('the body has not been read to the end');
      return digest;
    },
  };
}

/** SHA-256 (hex) and length of everything a stream yields, read piece by piece. */
export async function digestStream(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const piece of stream) {
    hash.update(piece);
    bytes += piece.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
