import { TextDecoder } from 'node:util';
import { fileTypeFromBuffer } from 'file-type';

/** Bytes read from the start of an upload to decide its type (zip-based formats need more than a few). */
export const SNIFF_BYTES = 64 * 1024;

/** What an upload is, decided from its bytes alone. */
export type UploadFamily = 'photo' | 'document';

/** The type of an upload, from its magic bytes (or, for text, from its content). */
export interface SniffedType {
  family: UploadFamily;
  /** The media type stored with the file, e.g. `image/png`. */
  contentType: string;
  /** txt or md: the rest of the stream must be checked as UTF-8 text too. */
  text: boolean;
}

/** Photos the worker can read with sharp (HEIC needs an HEVC decoder that sharp's prebuilt libvips lacks). */
export const PHOTO_TYPES: readonly string[] = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/tiff',
  'image/avif',
  'image/heif',
];

const PDF = 'application/pdf';
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** Documents the knowledge base ingests. */
export const DOCUMENT_TYPES: readonly string[] = [PDF, DOCX, 'text/plain', 'text/markdown'];

const ZIP_LOCAL_HEADER = 0x04034b50;
const DOCX_MAIN_PART = 'word/document.xml';

/** True when the zip's local file headers within `head` name `word/document.xml`. */
function zipHasWordDocument(head: Buffer): boolean {
  let offset = 0;
  while (offset + 30 <= head.length && head.readUInt32LE(offset) === ZIP_LOCAL_HEADER) {
    const flags = head.readUInt16LE(offset + 6);
    const compressedSize = head.readUInt32LE(offset + 18);
    const nameLength = head.readUInt16LE(offset + 26);
    const extraLength = head.readUInt16LE(offset + 28);
    const name = head.subarray(offset + 30, offset + 30 + nameLength).toString('utf8');
    if (name === DOCX_MAIN_PART) return true;
    // With a data descriptor (bit 3) the size is not known up front: stop rather than guess.
    if (flags & 0x08) return false;
    offset += 30 + nameLength + extraLength + compressedSize;
  }
  return false;
}

/** UTF-8 text without NUL bytes; a character cut by the end of the head is fine when the file goes on. */
function looksLikeText(head: Buffer, complete: boolean): boolean {
  if (head.includes(0)) return false;
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    decoder.decode(head, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

function textType(filename: string): string {
  return /\.(md|markdown)$/i.test(filename) ? 'text/markdown' : 'text/plain';
}

/**
 * Decides what an upload is from its first bytes (never from its name or the client's content type; the
 * name only tells Markdown from plain text). `undefined` for anything that is neither a supported photo
 * nor a supported document; `detected` then names what it looked like, for the error message.
 */
export async function sniffFile(
  head: Buffer,
  options: { filename: string; complete: boolean },
): Promise<{ type: SniffedType | undefined; detected: string | undefined }> {
  const found = await fileTypeFromBuffer(head);
  if (found) {
    if (PHOTO_TYPES.includes(found.mime)) {
      return { type: { family: 'photo', contentType: found.mime, text: false }, detected: found.mime };
    }
    if (found.mime === PDF || found.mime === DOCX) {
      return { type: { family: 'document', contentType: found.mime, text: false }, detected: found.mime };
    }
    if (found.mime === 'application/zip' && zipHasWordDocument(head)) {
      return { type: { family: 'document', contentType: DOCX, text: false }, detected: DOCX };
    }
    return { type: undefined, detected: found.mime };
  }
  if (looksLikeText(head, options.complete)) {
    const contentType = textType(options.filename);
    return { type: { family: 'document', contentType, text: true }, detected: contentType };
  }
  return { type: undefined, detected: undefined };
}
