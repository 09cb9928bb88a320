import { Readable } from 'node:stream';
import { defineErrors } from '@flotilla/platform';
import { afterEach, describe, expect, it } from 'vitest';
import { createStoreUpload } from '../../src/store-upload.js';

const storeErrors = defineErrors({
  PAUSED: { code: 'UPSTREAM.CIRCUIT_OPEN', kind: 'unavailable', title: 'Calls to the store are paused' },
});

const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);
afterEach(() => {
  process.off('uncaughtException', onUncaught);
  uncaught.length = 0;
});

describe('storing an upload when the store refuses it before reading a byte', () => {
  it('fails with the store refusal (a 503), and a small file already buffered in full raises no stray stream error', async () => {
    process.on('uncaughtException', onUncaught);
    // A JPEG's magic bytes (JFIF) and 2 KB of content: small enough to sit in the stream buffers whole.
    const photo = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]),
      Buffer.alloc(2048, 7),
    ]);
    const storeUpload = createStoreUpload({
      // What the data-mongo client does while its circuit is open: refuse at once, never reading the body.
      blobs: {
        upload: async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          throw storeErrors.PAUSED();
        },
      },
    });
    await expect(
      storeUpload({
        ownerId: '0190a6e4-0000-7000-8000-000000000001',
        file: { filename: 'small.jpg', stream: Readable.from([photo]) },
        accept: 'photo',
        maxBytes: 1_000_000,
      }),
    ).rejects.toMatchObject({ code: 'UPSTREAM.CIRCUIT_OPEN' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(uncaught).toEqual([]);
  });
});
