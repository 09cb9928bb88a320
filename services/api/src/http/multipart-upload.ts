import multipart from '@fastify/multipart';
import { type IncomingFile, safeFilename, uploadErrors } from '@flotilla/intake';
import {
  DomainError,
  drainUnreadRequestBodies,
  type HttpApp,
  isDomainError,
  platformErrors,
} from '@flotilla/platform';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';

/** A multipart request's single file and the short text fields sent before it. */
export interface MultipartUpload {
  file: IncomingFile;
  fields: Record<string, string>;
}

/**
 * Reads the one file of a `multipart/form-data` request as a stream (the multipart plugin is registered
 * with tight limits: one file, a few short fields). The file is cut off one byte past `maxBytes`, so the
 * size limit downstream sees the overflow. Text fields count only when they precede the file, and each
 * once (a field sent twice is a 422).
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
  if (!part) throw uploadErrors.NO_FILE({ detail: 'Send one file part (any field name) in the form.' });
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(part.fields)) {
    const texts = [value].flat().filter((field) => field?.type === 'field');
    // A text field is one value: sent twice, which one was meant is not for the server to guess.
    if (texts.length > 1) {
      const errors = [{ field: `/body/${name}`, message: 'must be sent once' }];
      throw platformErrors.VALIDATION({ detail: `/body/${name} must be sent once`, data: { errors } });
    }
    const [field] = texts;
    if (field && field.type === 'field' && typeof field.value === 'string') fields[name] = field.value;
  }
  return { file: { filename: safeFilename(part.filename), stream: part.file }, fields };
}

/** Limits of every multipart request: one file and a few short text fields (the file's own limit is per route). */
export const MULTIPART_LIMITS = {
  fieldNameSize: 100,
  fieldSize: 1024,
  fields: 4,
  files: 1,
  parts: 6,
  headerPairs: 50,
};

/** Longest time the rest of a refused upload may take to arrive before its connection is closed. */
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Registers the multipart parser (streaming mode, tight limits) in a scope, and drains what a client is
 * still sending after an early answer (a refusal at once or midway), up to `maxUploadBytes` more.
 */
export async function registerMultipart(scope: HttpApp, maxUploadBytes: number): Promise<void> {
  await scope.register(multipart, { limits: MULTIPART_LIMITS });
  drainUnreadRequestBodies(scope, { maxBytes: maxUploadBytes, timeoutMs: DRAIN_TIMEOUT_MS });
}

/** `Idempotency-Key`: 1-255 printable ASCII characters. */
export const IdempotencyKeySchema = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x21-\\x7e]+$',
  description:
    'Optional. Makes a retried upload safe: the same key with the same file (same bytes) replays the first ' +
    'reply for 24 h; with another file it is a 422 (and the new file is not kept); while the first is ' +
    'running, a 409.',
});

/**
 * The multipart body of an upload, for the OpenAPI document: the handler reads the stream itself, so
 * validation sees no parsed body (`null`) and must accept it.
 */
export function multipartUploadBody(fields: Record<string, { type: 'string'; description: string }> = {}) {
  return {
    content: {
      'multipart/form-data': {
        schema: Type.Unsafe<null>({
          type: ['object', 'null'],
          // The file part is required (a form without one is a 400 `MEDIA.NO_FILE`).
          required: ['file'],
          properties: {
            ...fields,
            file: { type: 'string', format: 'binary', description: 'The file (one part; it comes last).' },
          },
        }),
      },
    },
  };
}

/**
 * An upload refused for its type, told where the other family of files goes (`upload_to`): the shared
 * use case knows no URLs, the api does.
 */
export function withUploadTarget(error: unknown, targets: { photo: string; document: string }): unknown {
  if (!isDomainError(error, uploadErrors.UNSUPPORTED_TYPE.definition.code)) return error;
  const family = error.data?.detected_family;
  if (family !== 'photo' && family !== 'document') return error;
  const target = targets[family];
  return new DomainError(uploadErrors.UNSUPPORTED_TYPE.definition, {
    detail: `${error.detail?.replace(/ are uploaded separately\.$/, '') ?? 'This file'} go to ${target}.`,
    data: { detected_type: error.data?.detected_type, upload_to: target },
    cause: error,
  });
}
