import { isDomainError, platformErrors } from '@flotilla/platform';
import type { FastifyRequest } from 'fastify';
import type { IncomingFile } from '../application/store-upload.js';
import { mediaErrors } from '../domain/media.errors.js';

/** Name used when the client sent none (or nothing usable). */
const FALLBACK_NAME = 'upload';

/**
 * A client's file name made safe to store and show: the last path segment, without control characters,
 * at most 255 characters.
 */
export function safeFilename(raw: string | undefined): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return (clean === '' || clean === '.' || clean === '..' ? FALLBACK_NAME : clean).slice(0, 255);
}

/** A multipart request's single file and the short text fields sent before it. */
export interface MultipartUpload {
  file: IncomingFile;
  fields: Record<string, string>;
}

/**
 * Reads the one file of a `multipart/form-data` request as a stream (the multipart plugin is registered
 * with tight limits: one file, a few short fields). The file is cut off one byte past `maxBytes`, so the
 * size limit downstream sees the overflow. Text fields count only when they precede the file.
 */
export async function readMultipartFile(request: FastifyRequest, maxBytes: number): Promise<MultipartUpload> {
  if (!request.isMultipart()) {
    throw platformErrors.UNSUPPORTED_MEDIA_TYPE({ detail: 'Send the file as multipart/form-data.' });
  }
  let part: Awaited<ReturnType<FastifyRequest['file']>>;
  try {
    part = await request.file({ limits: { fileSize: maxBytes + 1 } });
  } catch (error) {
    // The form itself is broken (no closing boundary, a malformed part header, too many parts): the
    // client's fault, told as such, never a 500.
    if (isDomainError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw platformErrors.MALFORMED_BODY({
      detail: `The multipart form could not be read: ${reason}.`,
      cause: error,
    });
  }
  if (!part) throw mediaErrors.NO_FILE({ detail: 'Send one file part (any field name) in the form.' });
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(part.fields)) {
    const field = Array.isArray(value) ? value[0] : value;
    if (field && field.type === 'field' && typeof field.value === 'string') fields[name] = field.value;
  }
  return { file: { filename: safeFilename(part.filename), stream: part.file }, fields };
}
