import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { readHead } from '../../src/upload/head-reader.js';
import { MeteredStream, UploadNotTextError, UploadTooLargeError } from '../../src/upload/metered-stream.js';

/** A stream yielding these pieces one by one. */
const pieces = (...chunks: Buffer[]) => Readable.from(chunks, { objectMode: false });

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('reading the head of an upload without losing it', () => {
  it('gives the first bytes and then the whole content, head included', async () => {
    const content = randomBytes(10_000);
    const { head, ended, whole } = await readHead(
      pieces(content.subarray(0, 3000), content.subarray(3000, 7000), content.subarray(7000)),
      4096,
    );
    expect(head).toEqual(content.subarray(0, 4096));
    expect(ended).toBe(false);
    expect(await collect(whole)).toEqual(content);
  });

  it('reports a stream shorter than the head as ended', async () => {
    const { head, ended, whole } = await readHead(pieces(Buffer.from('short')), 4096);
    expect(head.toString()).toBe('short');
    expect(ended).toBe(true);
    expect((await collect(whole)).toString()).toBe('short');
  });
});

describe('metering an upload while it streams', () => {
  it('lets a file up to the limit through and hashes it', async () => {
    const content = randomBytes(5000);
    const meter = new MeteredStream({ maxBytes: 5000 });
    const [out] = await Promise.all([collect(meter), pipeline(pieces(content), meter)]);
    expect(out).toEqual(content);
    expect(meter.bytes).toBe(5000);
    expect(meter.sha256()).toBe(createHash('sha256').update(content).digest('hex'));
  });

  it('fails on the first byte past the limit', async () => {
    const meter = new MeteredStream({ maxBytes: 4999 });
    meter.resume();
    await expect(pipeline(pieces(randomBytes(3000), randomBytes(2000)), meter)).rejects.toBeInstanceOf(
      UploadTooLargeError,
    );
  });

  it('checks text as UTF-8 across chunk boundaries', async () => {
    const text = Buffer.from('naïve café ünïcode '.repeat(50));
    const meter = new MeteredStream({ maxBytes: 1_000_000, text: true });
    const cut = 7; // inside the two bytes of "ï"
    const [out] = await Promise.all([
      collect(meter),
      pipeline(pieces(text.subarray(0, cut), text.subarray(cut)), meter),
    ]);
    expect(out).toEqual(text);
  });

  it('fails text with a NUL byte or an invalid sequence further in', async () => {
    for (const bad of [Buffer.from([0x61, 0x00]), Buffer.from([0xc3, 0x28])]) {
      const meter = new MeteredStream({ maxBytes: 1_000_000, text: true });
      meter.resume();
      await expect(pipeline(pieces(Buffer.from('fine so far '), bad), meter)).rejects.toBeInstanceOf(
        UploadNotTextError,
      );
    }
  });

  it('fails text that ends inside a character', async () => {
    const meter = new MeteredStream({ maxBytes: 1_000_000, text: true });
    meter.resume();
    await expect(pipeline(pieces(Buffer.from([0x61, 0xc3])), meter)).rejects.toBeInstanceOf(
      UploadNotTextError,
    );
  });
});
