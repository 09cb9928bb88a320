import { sniffFile } from '@flotilla/intake';
import { describe, expect, it } from 'vitest';
import {
  docxDocument,
  elfExecutable,
  jpegLike,
  pdfDocument,
  pngImage,
  windowsExecutable,
  zipArchive,
} from '../support/media-fixtures.js';

const sniff = (head: Buffer, filename = 'upload.bin', complete = true) =>
  sniffFile(head, { filename, complete });

describe('deciding what an upload is from its bytes', () => {
  it('recognises photos by their magic bytes, whatever their name', async () => {
    expect((await sniff(pngImage(), 'holiday.txt')).type).toEqual({
      family: 'photo',
      contentType: 'image/png',
      text: false,
    });
    expect((await sniff(jpegLike(), 'no-extension')).type?.contentType).toBe('image/jpeg');
  });

  it.each([
    ['GIF', Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(64, 1)]), 'image/gif'],
    [
      'WebP',
      Buffer.concat([
        Buffer.from('RIFF'),
        Buffer.from([0x40, 0, 0, 0]),
        Buffer.from('WEBPVP8 '),
        Buffer.alloc(64, 1),
      ]),
      'image/webp',
    ],
    [
      'TIFF',
      Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0, 0, 0]), Buffer.alloc(64)]),
      'image/tiff',
    ],
    [
      'AVIF',
      Buffer.concat([
        Buffer.from([0, 0, 0, 0x1c]),
        Buffer.from('ftypavif'),
        Buffer.alloc(4),
        Buffer.from('avifmif1miaf'),
        Buffer.alloc(64),
      ]),
      'image/avif',
    ],
  ])('recognises %s as a photo', async (_name, head, contentType) => {
    expect((await sniff(head)).type).toEqual({ family: 'photo', contentType, text: false });
  });

  it('refuses HEIC, which the worker cannot decode', async () => {
    const heic = Buffer.concat([
      Buffer.from([0, 0, 0, 0x18]),
      Buffer.from('ftypheic'),
      Buffer.alloc(4),
      Buffer.from('mif1heic'),
      Buffer.alloc(64),
    ]);
    expect(await sniff(heic)).toEqual({ type: undefined, detected: 'image/heic' });
  });

  it('recognises pdf and docx as documents', async () => {
    expect((await sniff(await pdfDocument(), 'photo.jpg')).type).toEqual({
      family: 'document',
      contentType: 'application/pdf',
      text: false,
    });
    expect((await sniff(await docxDocument())).type?.contentType).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
  });

  it('takes a zip holding word/document.xml for a docx, and refuses any other zip', async () => {
    const wordZip = zipArchive({ 'word/document.xml': '<w:document/>', 'other.txt': 'x' });
    expect((await sniff(wordZip)).type?.contentType).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
    const plainZip = zipArchive({ 'notes.txt': 'hello' });
    expect(await sniff(plainZip)).toEqual({ type: undefined, detected: 'application/zip' });
  });

  it('refuses executables, naming what they looked like', async () => {
    expect(await sniff(elfExecutable(), 'cat.jpg')).toEqual({
      type: undefined,
      detected: 'application/x-elf',
    });
    const windows = await sniff(windowsExecutable(), 'cat.jpg');
    expect(windows.type).toBeUndefined();
  });

  it('takes UTF-8 text without NUL bytes for plain text, or Markdown by its extension', async () => {
    const text = Buffer.from('Ünïcödé notes\nsecond line\n');
    expect((await sniff(text, 'notes.txt')).type).toEqual({
      family: 'document',
      contentType: 'text/plain',
      text: true,
    });
    expect((await sniff(text, 'README.md')).type?.contentType).toBe('text/markdown');
  });

  it('refuses text with a NUL byte or invalid UTF-8', async () => {
    expect((await sniff(Buffer.from('abc\u0000def'), 'a.txt')).type).toBeUndefined();
    expect((await sniff(Buffer.from([0x61, 0xff, 0xfe, 0x62]), 'a.txt')).type).toBeUndefined();
  });

  it('accepts a character cut by the end of the head only when the file goes on', async () => {
    const cut = Buffer.from('caf\u00e9', 'utf8').subarray(0, 4);
    expect((await sniff(cut, 'a.txt', false)).type?.contentType).toBe('text/plain');
    expect((await sniff(cut, 'a.txt', true)).type).toBeUndefined();
  });
});
