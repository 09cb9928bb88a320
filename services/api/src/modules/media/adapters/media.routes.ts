import type { HttpApp } from '@flotilla/platform';
import { Type } from 'typebox';
import { authenticate, bearerSecurity, currentUser } from '../../../http/auth.js';
import {
  IdempotencyKeySchema,
  multipartUploadBody,
  readMultipartFile,
  withUploadTarget,
} from '../../../http/multipart-upload.js';
import { authedProblemResponses } from '../../../http/problem-responses.js';
import type { UploadGate } from '../../../http/upload-gate.js';
import type { createDeleteMedia } from '../application/delete-media.use-case.js';
import type { createGetMedia } from '../application/get-media.use-case.js';
import type { createListMedia } from '../application/list-media.use-case.js';
import type { Media } from '../media.deps.js';
import { MEDIA_PATH, MEDIA_URL, toMediaView } from './media.mapper.js';
import {
  ListMediaQuerySchema,
  MediaIdParamsSchema,
  MediaPageSchema,
  MediaViewSchema,
} from './media.schemas.js';

/** The media use cases the routes call. */
export interface MediaRoutesDeps {
  uploadMedia: Media['uploadMedia'];
  listMedia: ReturnType<typeof createListMedia>;
  getMedia: ReturnType<typeof createGetMedia>;
  deleteMedia: ReturnType<typeof createDeleteMedia>;
  maxUploadBytes: number;
  uploadGate: UploadGate;
}

const tags = ['media'];
const UPLOAD_TARGETS = { photo: MEDIA_URL, document: '/api/v1/knowledge/documents' };

/** `POST /media`, `GET /media`, `GET /media/:id`, `DELETE /media/:id`: schema -> use case -> mapping. */
export function registerMediaRoutes(app: HttpApp, deps: MediaRoutesDeps): void {
  app.post(
    MEDIA_PATH,
    {
      preHandler: authenticate,
      schema: {
        tags,
        summary: 'Upload a photo for processing',
        description:
          'multipart/form-data with one file part. The file streams into storage as it arrives (never ' +
          'buffered whole); its type is decided by its bytes, not its name or declared type: JPEG, PNG, ' +
          'WebP, GIF, TIFF, AVIF or HEIF. 413 `MEDIA.TOO_LARGE` above the limit (nothing is kept), 415 ' +
          '`MEDIA.UNSUPPORTED_TYPE` for anything else (documents go to `/api/v1/knowledge/documents`). ' +
          'Answers 202 with the queued job and its `Location`; follow it with `GET /media/:id/events`. When ' +
          'every upload place of the server is taken, 503 `UPLOAD.BUSY` with `Retry-After` at once (before the ' +
          'body is read).',
        security: bearerSecurity,
        consumes: ['multipart/form-data'],
        headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKeySchema) }),
        body: multipartUploadBody(),
        response: { 202: MediaViewSchema, ...authedProblemResponses(400, 409, 413, 415, 503) },
      },
    },
    async (request, reply) =>
      deps.uploadGate.run(async () => {
        const { id: ownerId } = currentUser(request);
        const { file } = await readMultipartFile(request, deps.maxUploadBytes);
        const key = request.headers['idempotency-key'];
        const { job, replayed } = await deps
          .uploadMedia({ ownerId, file, ...(key !== undefined && { idempotencyKey: key }) })
          .catch((error: unknown) => {
            throw withUploadTarget(error, UPLOAD_TARGETS);
          });
        reply.code(202).header('location', `${MEDIA_URL}/${job.id}`);
        if (replayed) reply.header('idempotent-replayed', 'true');
        return toMediaView(job);
      }),
  );

  app.get(
    MEDIA_PATH,
    {
      preHandler: authenticate,
      schema: {
        tags,
        summary: "List one's own jobs, newest first",
        description: 'Filter by `status` and `kind`; follow `next_cursor` for the next page.',
        security: bearerSecurity,
        querystring: ListMediaQuerySchema,
        response: { 200: MediaPageSchema, ...authedProblemResponses() },
      },
    },
    async (request) => {
      const { id: ownerId } = currentUser(request);
      const page = await deps.listMedia({ ownerId, ...request.query });
      return { items: page.items.map(toMediaView), next_cursor: page.next_cursor };
    },
  );

  app.get(
    `${MEDIA_PATH}/:id`,
    {
      preHandler: authenticate,
      schema: {
        tags,
        summary: 'A job: status, progress, attempts, error and result metadata',
        description: "404 `MEDIA.NOT_FOUND` for an unknown id and for someone else's job alike.",
        security: bearerSecurity,
        params: MediaIdParamsSchema,
        response: { 200: MediaViewSchema, ...authedProblemResponses(404) },
      },
    },
    async (request) => {
      const job = await deps.getMedia({ ownerId: currentUser(request).id, jobId: request.params.id });
      return toMediaView(job);
    },
  );

  app.delete(
    `${MEDIA_PATH}/:id`,
    {
      preHandler: authenticate,
      schema: {
        tags,
        summary: 'Delete a job and its files',
        description:
          "204 when deleted; 404 `MEDIA.NOT_FOUND` (also for someone else's job); 409 `MEDIA.DOCUMENT_JOB` " +
          'for the job of a knowledge-base document (delete the document instead).',
        security: bearerSecurity,
        params: MediaIdParamsSchema,
        response: { 204: Type.Null(), ...authedProblemResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await deps.deleteMedia({ ownerId: currentUser(request).id, jobId: request.params.id });
      return reply.code(204).send(null);
    },
  );
}
