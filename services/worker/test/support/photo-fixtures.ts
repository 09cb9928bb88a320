import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/**
 * Photos generated for the tests (nothing binary is checked in). Colours make orientation visible:
 * the EXIF-rotated fixture is red on its left half, so once shown upright the red half is on top.
 */

/** A 300x200 JPEG, left half red, right half blue, with EXIF orientation 6 (display turned 90° clockwise). */
export async function jpegWithOrientation6(): Promise<Buffer> {
  const red = await sharp({ create: { width: 150, height: 200, channels: 3, background: '#ff0000' } })
    .png()
    .toBuffer();
  return sharp({ create: { width: 300, height: 200, channels: 3, background: '#0000ff' } })
    .composite([{ input: red, left: 0, top: 0 }])
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6, exif: { IFD0: { Copyright: 'flotilla test', Artist: 'somebody' } } })
    .toBuffer();
}

/** A 64x48 half-transparent green PNG. */
export function pngWithAlpha(): Promise<Buffer> {
  return sharp({
    create: { width: 64, height: 48, channels: 4, background: { r: 0, g: 160, b: 0, alpha: 0.5 } },
  })
    .png()
    .toBuffer();
}

/** A noisy (hard to compress) RGB image of the given size in the given format. */
export function noisyPhoto(
  width: number,
  height: number,
  format: 'jpeg' | 'webp' | 'png' = 'jpeg',
): Promise<Buffer> {
  const pixels = randomBytes(width * height * 3);
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  if (format === 'webp') return image.webp({ quality: 90 }).toBuffer();
  if (format === 'png') return image.png().toBuffer();
  return image.jpeg({ quality: 95 }).toBuffer();
}

/** A JPEG cut after `fraction` of its bytes (its end-of-image marker and most scans missing). */
export async function truncatedJpeg(fraction = 0.5): Promise<Buffer> {
  const whole = await noisyPhoto(400, 300, 'jpeg');
  return whole.subarray(0, Math.floor(whole.length * fraction));
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC, as PNG uses it); `zlib.crc32` is not in Node 20. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/**
 * A PNG that claims `width` x `height` pixels but carries almost no image data: the signature, a valid
 * IHDR (8-bit RGB), one tiny IDAT (decoders want one before IEND) and IEND. Decoding it would need
 * gigabytes; the header alone must be enough to refuse it.
 */
export function headerOnlyPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // colour type: RGB
  // compression, filter and interlace methods: 0
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const idat = chunk('IDAT', deflateSync(Buffer.alloc(64)));
  return Buffer.concat([signature, chunk('IHDR', ihdr), idat, chunk('IEND', Buffer.alloc(0))]);
}
