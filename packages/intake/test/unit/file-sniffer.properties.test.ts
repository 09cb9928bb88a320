import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PHOTO_TYPES, sniffFile } from '../../src/upload/file-sniffer.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const DOCUMENT_TYPES = ['application/pdf', DOCX, 'text/plain', 'text/markdown'];
const runs = { numRuns: 500 };

/** A zip local file header for `name`, followed by `data` stored uncompressed. */
function zipEntry(name: string, data: Uint8Array): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt32LE(data.length, 18);
  header.writeUInt32LE(data.length, 22);
  header.writeUInt16LE(Buffer.byteLength(name), 26);
  return Buffer.concat([header, Buffer.from(name), data]);
}

const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))),
  );

const anyBytes = fc.uint8Array({ maxLength: 1024 });

/** After a PNG's IHDR: any chunk (length below 2^31, a four-letter type, not APNG's acTL), then anything. */
const pngChunks = fc
  .tuple(
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    fc.stringMatching(/^[A-Za-z]{4}$/).filter((type) => type !== 'acTL'),
    anyBytes,
  )
  .map(([length, type, rest]) => {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(length, 0);
    header.write(type, 4, 'latin1');
    return Buffer.concat([header, rest]);
  });

/** How real files of each accepted type begin (magic numbers, and the structure right after them). */
const MAGIC: Array<{ type: string; head: Buffer; rest?: fc.Arbitrary<Uint8Array> }> = [
  { type: 'image/jpeg', head: bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF\0') },
  { type: 'image/jpeg', head: bytes([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x10], 'Exif\0\0') },
  {
    type: 'image/png',
    head: bytes(
      [0x89],
      'PNG\r\n\x1a\n',
      [0, 0, 0, 13],
      'IHDR',
      [0, 0, 1, 0, 0, 0, 1, 0, 8, 6, 0, 0, 0],
      [1, 2, 3, 4],
    ),
    rest: pngChunks,
  },
  { type: 'image/gif', head: bytes('GIF89a') },
  { type: 'image/gif', head: bytes('GIF87a') },
  { type: 'image/webp', head: bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 ') },
  { type: 'image/avif', head: bytes([0, 0, 0, 0x1c], 'ftypavif', [0, 0, 0, 0], 'avifmif1miaf') },
  { type: 'application/pdf', head: bytes('%PDF-1.7\n') },
  { type: DOCX, head: zipEntry('word/document.xml', Buffer.from('<w:document/>')) },
  {
    type: DOCX,
    head: Buffer.concat([
      zipEntry('[Content_Types].xml', Buffer.from('<Types/>')),
      zipEntry('word/document.xml', Buffer.from('<w:document/>')),
    ]),
  },
];
/** A real beginning of an accepted type, followed by what may follow it. */
const realFile = fc.oneof(
  ...MAGIC.map((magic) =>
    (magic.rest ?? anyBytes).map((rest) => ({ type: magic.type, head: Buffer.concat([magic.head, rest]) })),
  ),
);

/** Beginnings of other formats (archives, media, executables) that must be refused, not crash. */
const OTHER_MAGIC = [
  'PK\x03\x04',
  '\x1aE\xdf\xa3',
  'OggS\0',
  'ID3\x03\0',
  'fLaC',
  '<?xml version="1.0"?>',
  '\x1f\x8b\x08',
  '7z\xbc\xaf\x27\x1c',
  'Rar!\x1a\x07\0',
  '\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1',
  'II*\0',
  'MM\0*',
  '\x89PNG\r\n\x1a\n',
  'MZ',
  '\x7fELF',
  'BM',
  'SQLite format 3\0',
  '\0\0\0\x18ftypheic',
  'RIFF\0\0\0\0WAVE',
].map((magic) => Buffer.from(magic, 'latin1'));

const filename = fc.oneof(
  fc.constantFrom('notes.md', 'notes.MARKDOWN', 'notes.txt', 'photo.jpg', 'upload'),
  fc.string(),
);

function expectKnownOrRefused(result: Awaited<ReturnType<typeof sniffFile>>): void {
  if (result.type === undefined) return;
  const allowed = result.type.family === 'photo' ? PHOTO_TYPES : DOCUMENT_TYPES;
  expect(allowed).toContain(result.type.contentType);
  expect(result.type.text).toBe(result.type.contentType.startsWith('text/'));
}

describe('sniffing the type of an upload from its first bytes', () => {
  it('gives a supported type or a refusal for any bytes, never a failure', async () => {
    const head = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 2048 }),
      fc
        .tuple(
          fc.constantFrom(...OTHER_MAGIC, ...MAGIC.map((magic) => magic.head)),
          fc.uint8Array({ maxLength: 1024 }),
        )
        .map(([magic, rest]) => Buffer.concat([magic, rest])),
    );
    await fc.assert(
      fc.asyncProperty(head, fc.boolean(), filename, async (prefix, complete, name) => {
        expectKnownOrRefused(await sniffFile(Buffer.from(prefix), { filename: name, complete }));
      }),
      runs,
    );
  });

  it('recognises real magic numbers whatever follows them', async () => {
    await fc.assert(
      fc.asyncProperty(realFile, fc.boolean(), filename, async (file, complete, name) => {
        const { type, detected } = await sniffFile(file.head, { filename: name, complete });
        expect(type?.contentType).toBe(file.type);
        expect(detected).toBe(file.type);
        expect(type?.family).toBe(PHOTO_TYPES.includes(file.type) ? 'photo' : 'document');
      }),
      runs,
    );
  });

  it('takes UTF-8 text as a text document, Markdown by its name, even cut inside a character', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 500 }).filter((value) => !value.includes('\0'));
    await fc.assert(
      fc.asyncProperty(text, fc.nat(), filename, async (body, cutAt, name) => {
        // A prefix no binary format starts with, so the content decides.
        const encoded = Buffer.from(`notes: ${body}`, 'utf8');
        const cut = encoded.subarray(0, 7 + (cutAt % (encoded.length - 6)));
        const { type } = await sniffFile(cut, { filename: name, complete: false });
        const markdown = /\.(md|markdown)$/i.test(name);
        expect(type).toEqual({
          family: 'document',
          contentType: markdown ? 'text/markdown' : 'text/plain',
          text: true,
        });
      }),
      runs,
    );
  });

  it('refuses a complete file that is not UTF-8, or that holds a NUL byte', async () => {
    const broken = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }).map((body) => {
        const encoded = Buffer.from(`notes: ${body}\u00e9`, 'utf8');
        return encoded.subarray(0, encoded.length - 1); // ends in half of "é"
      }),
      fc
        .tuple(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }))
        .map(([before, after]) => Buffer.from(`notes: ${before}\0${after}`, 'utf8')),
    );
    await fc.assert(
      fc.asyncProperty(broken, async (head) => {
        const { type } = await sniffFile(head, { filename: 'notes.txt', complete: true });
        expect(type).toBeUndefined();
      }),
      runs,
    );
  });
});
