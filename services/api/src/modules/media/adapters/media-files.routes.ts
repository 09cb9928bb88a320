import { BinaryResponse, type BlobByteRange, EmptyResponse } from '@flotilla/contracts';
import { DOCUMENT_TYPES, PHOTO_TYPES } from '@flotilla/intake';
import { type HttpApp, sendProblem, toProblem } from '@flotilla/platform';
import { Type } from 'typebox';
import { authenticate, bearerSecurity, currentUser } from '../../../http/auth.js';
import { authedProblemResponses } from '../../../http/problem-responses.js';
import type { createOpenMediaFile, MediaFileKind } from '../application/open-media-file.use-case.js';
import { mediaErrors } from '../domain/media.errors.js';
import { MEDIA_PATH } from './media.mapper.js';
import { MediaIdParamsSchema } from './media.schemas.js';

const RANGE = /^bytes=(\d*)-(\d*)$/;

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; anything else (several ranges, other units) means the whole file. */
export function parseRangeHeader(header: string | undefined): BlobByteRange | undefined {
  const match = header === undefined ? null : RANGE.exec(header.trim());
  if (!match) return undefined;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return undefined;
  if (from === '') return { suffix: Number(to) };
  const start = Number(from);
  if (to === '') return { start };
  const end = Number(to);
  return end < start ? undefined : { start, end };
}

/** Entity tags of an `If-None-Match` header, without quotes and weakness marks. */
export function parseIfNoneMatch(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, '').replaceAll('"', ''))
    .filter((tag) => tag !== '')
    .slice(0, 20);
}

function attachmentName(filename: string): string {
  return `inline; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/**
 * What each file may be: the photo or, for a knowledge upload's job, the document as uploaded; the result
 * and thumbnail as the worker encodes them.
 */
const FILE_TYPES: Record<MediaFileKind, readonly string[]> = {
  original: [...PHOTO_TYPES, ...DOCUMENT_TYPES],
  result: ['image/jpeg', 'image/webp'],
  thumbnail: ['image/jpeg', 'image/webp'],
};

const DESCRIPTIONS: Record<MediaFileKind, string> = {
  original: 'The uploaded file, as received (a photo, or the document of a knowledge upload).',
  result: 'The processed photo (once the job has succeeded).',
  thumbnail: 'The thumbnail (once the job has succeeded).',
};

/**
 * `GET /media/:id/original|result|thumbnail`: streamed from data-mongo with the stored content type, an
 * ETag (the SHA-256: `If-None-Match` answers 304 without a download) and one byte `Range` passed through.
 */
export function registerMediaFileRoutes(
  app: HttpApp,
  deps: { openMediaFile: ReturnType<typeof createOpenMediaFile> },
): void {
  for (const file of ['original', 'result', 'thumbnail'] as const) {
    app.get(
      `${MEDIA_PATH}/:id/${file}`,
      {
        preHandler: authenticate,
        schema: {
          tags: ['media'],
          summary: `Download the ${file} of a job`,
          description:
            `${DESCRIPTIONS[file]} Streamed, with Content-Type, Content-Length and an ETag; ` +
            '`If-None-Match` gives 304; one `Range` gives 206 (416 when unsatisfiable). 404 ' +
            '`MEDIA.NOT_FOUND` for an unknown or foreign job, `MEDIA.FILE_NOT_READY` before the file exists.',
          security: bearerSecurity,
          params: MediaIdParamsSchema,
          headers: Type.Object({
            range: Type.Optional(Type.String({ maxLength: 200 })),
            'if-none-match': Type.Optional(Type.String({ maxLength: 2000 })),
          }),
          response: {
            200: BinaryResponse('The file.', FILE_TYPES[file]),
            206: BinaryResponse('One byte range of the file.', FILE_TYPES[file]),
            304: EmptyResponse('Not modified: the ETag matches.'),
            ...authedProblemResponses(404, 416),
          },
        },
      },
      async (request, reply) => {
        const ifRange = request.headers['if-range'];
        const range = ifRange === undefined ? parseRangeHeader(request.headers.range) : undefined;
        const ifNoneMatch = parseIfNoneMatch(request.headers['if-none-match']);
        let opened: Awaited<ReturnType<typeof deps.openMediaFile>>;
        try {
          opened = await deps.openMediaFile({
            ownerId: currentUser(request).id,
            jobId: request.params.id,
            file,
            ...(range && { range }),
            ...(ifNoneMatch.length > 0 && { ifNoneMatch }),
          });
        } catch (error) {
          // No error kind maps to 416: answered here, as data-mongo does.
          if (
            error instanceof Error &&
            'code' in error &&
            error.code === mediaErrors.RANGE_NOT_SATISFIABLE.definition.code
          ) {
            return sendProblem(reply, { ...toProblem(error, request), status: 416 });
          }
          throw error;
        }
        reply.header('cache-control', 'private, no-cache').header('x-content-type-options', 'nosniff');
        if (opened.notModified) return reply.code(304).header('etag', `"${opened.sha256}"`).send();

        const { download, job } = opened;
        reply
          .code(download.status === 206 ? 206 : 200)
          .type(download.contentType)
          .header('content-length', String(download.contentLength))
          .header('etag', `"${download.sha256}"`)
          .header('accept-ranges', 'bytes');
        if (download.contentRange) reply.header('content-range', download.contentRange);
        if (file === 'original') reply.header('content-disposition', attachmentName(job.original.filename));
        return reply.send(download.body);
      },
    );
  }
}
