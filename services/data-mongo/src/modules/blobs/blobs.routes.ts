import { Readable } from 'node:stream';
import {
  BinaryBody,
  BinaryResponse,
  BLOBS_V1_PATHS,
  BlobContentTypeSchema,
  BlobIdParamsSchema,
  BlobListQuerySchema,
  type BlobMetadata,
  BlobMetadataSchema,
  BlobPageSchema,
  BlobUploadQuerySchema,
  EmptyResponse,
  ProblemSchema,
} from '@flotilla/contracts';
import { type HttpApp, sendProblem, toProblem } from '@flotilla/platform';
import { Type } from 'typebox';
import { isServerUnreachable, storeUnreachable } from '../../db/mongo-timer.js';
import type { DataMongoMetrics } from '../../metrics.js';
import { serviceTokenSecurity } from '../../openapi.js';
import { decodeBlobPosition, encodeBlobPosition } from './blob-cursor.js';
import { blobErrors } from './blobs.errors.js';
import type { BlobStore, StoredBlob } from './blobs.store.js';
import { contentRange, parseRange } from './range.js';
import { relayRequestBody } from './request-body.js';

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

function toBlobMetadata(blob: StoredBlob): BlobMetadata {
  return {
    id: blob.id,
    filename: blob.filename,
    content_type: blob.contentType,
    size: blob.size,
    sha256: blob.sha256,
    owner_id: blob.ownerId,
    created_at: blob.createdAt.toISOString(),
  };
}

/** True when an `If-None-Match` / `If-Range` style header names this entity tag (or `*`). */
function namesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed === etag || trimmed === `W/${etag}`;
  });
}

/**
 * The blob routes, in their own plugin scope: there every request body is passed through as the raw
 * stream (no JSON parser, nothing buffered), so an upload flows from the socket into GridFS.
 */
export async function registerBlobRoutes(
  app: HttpApp,
  deps: {
    blobs: BlobStore;
    metrics: DataMongoMetrics;
    maxBytes: number;
    /** MONGO_TIMEOUT_MS: how long an operation waits for a server (see {@link storeUnreachable}). */
    storeWaitMs: number;
  },
): Promise<void> {
  const { blobs, metrics, maxBytes, storeWaitMs } = deps;

  await app.register(async (scope: HttpApp) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    scope.post(
      BLOBS_V1_PATHS.blobs,
      {
        // Not enforced by Fastify for a raw stream: the upload counts bytes itself (and checks Content-Length).
        bodyLimit: maxBytes,
        schema: {
          tags: ['blobs'],
          summary: 'Upload a file (streamed into GridFS)',
          description:
            'The body is the raw file; its `Content-Type` is stored as the content type (default ' +
            '`application/octet-stream`). Size, SHA-256 and owner are recorded. 413 `BLOB.TOO_LARGE` above ' +
            'BLOB_MAX_BYTES (checked while streaming; nothing is kept).',
          security: serviceTokenSecurity,
          querystring: BlobUploadQuerySchema,
          headers: Type.Object({ 'content-type': Type.Optional(BlobContentTypeSchema) }),
          // The raw bytes under any type (no validation runs on a stream: `*/*` matches no request's type).
          body: { content: { '*/*': { schema: BinaryBody } } },
          response: { 201: BlobMetadataSchema, 413: ProblemSchema },
        },
      },
      async (request, reply) => {
        const declared = Number(request.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          throw blobErrors.TOO_LARGE({
            detail: `Content-Length ${declared} is more than ${maxBytes} bytes.`,
          });
        }
        const body = request.body as Readable | undefined;
        const source = body ? relayRequestBody(body) : undefined;
        const blob = await blobs.upload(source ?? emptyBody(), {
          filename: request.query.filename,
          ownerId: request.query.owner_id,
          contentType: request.headers['content-type'] ?? DEFAULT_CONTENT_TYPE,
          maxBytes,
        });
        metrics.blobBytes.inc({ direction: 'in' }, blob.size);
        // A caller that gave up (its deadline passed) before learning the new id can never reference or
        // delete the file: it is deleted here, so a timed-out upload leaves nothing behind.
        const abandon = () => {
          blobs.delete(blob.id).then(
            () => request.log.warn({ blob_id: blob.id }, 'upload stored after its caller left; deleted'),
            (error: unknown) =>
              request.log.error({ err: error, blob_id: blob.id }, 'could not delete an abandoned upload'),
          );
        };
        const { socket } = request.raw;
        if (socket?.destroyed === true) {
          abandon();
          return reply.code(201).send(toBlobMetadata(blob));
        }
        let delivered = false;
        reply.raw.once('finish', () => {
          delivered = true;
        });
        reply.raw.once('close', () => {
          if (!delivered && socket?.destroyed === true) abandon();
        });
        reply.code(201).header('location', `${BLOBS_V1_PATHS.blobs}/${blob.id}`);
        return toBlobMetadata(blob);
      },
    );

    scope.get(
      BLOBS_V1_PATHS.blobs,
      {
        schema: {
          tags: ['blobs'],
          summary: 'Files created before a time, the oldest first',
          description:
            'For the sweep of files nothing references: finished uploads created before `created_before`, ' +
            'by creation time then id, cursor paginated (follow `next_cursor`). An upload still in flight is ' +
            'never listed. 422 `BLOB.INVALID_CURSOR` for a cursor this service did not make.',
          security: serviceTokenSecurity,
          querystring: BlobListQuerySchema,
          response: { 200: BlobPageSchema },
        },
      },
      async (request) => {
        const { created_before: createdBefore, limit = 50, cursor } = request.query;
        const after = cursor === undefined ? undefined : decodeBlobPosition(cursor);
        const found = await blobs.listCreatedBefore(new Date(createdBefore), limit + 1, after);
        const items = found.slice(0, limit);
        const last = items.at(-1);
        return {
          items: items.map(toBlobMetadata),
          next_cursor: found.length > limit && last ? encodeBlobPosition(last) : null,
        };
      },
    );

    scope.get(
      BLOBS_V1_PATHS.blob,
      {
        schema: {
          tags: ['blobs'],
          summary: "A blob's metadata",
          description: '404 `BLOB.NOT_FOUND`.',
          security: serviceTokenSecurity,
          params: BlobIdParamsSchema,
          response: { 200: BlobMetadataSchema, 404: ProblemSchema },
        },
      },
      async (request) => {
        const blob = await blobs.find(request.params.id);
        if (!blob) throw blobErrors.NOT_FOUND();
        return toBlobMetadata(blob);
      },
    );

    // GET and HEAD declared together: Fastify's automatic HEAD route would read the whole file to discard it.
    scope.route({
      method: ['GET', 'HEAD'],
      url: BLOBS_V1_PATHS.content,
      schema: {
        tags: ['blobs'],
        summary: "Download a blob's bytes",
        description:
          'Streams the file with its Content-Type, Content-Length and ETag (the SHA-256). A single byte ' +
          '`Range` is answered with 206 and Content-Range; an unsatisfiable one with 416 ' +
          '`BLOB.RANGE_NOT_SATISFIABLE`. `If-None-Match` gives 304; `If-Range` is honoured. 404 `BLOB.NOT_FOUND`.',
        security: serviceTokenSecurity,
        params: BlobIdParamsSchema,
        response: {
          // Stored with whatever type its uploader declared.
          200: BinaryResponse("The blob's bytes, with its stored Content-Type.", ['*/*']),
          206: BinaryResponse('One byte range of the blob.', ['*/*']),
          304: EmptyResponse('Not modified: the ETag matches.'),
          404: ProblemSchema,
          416: ProblemSchema,
        },
      },
      handler: async (request, reply) => {
        const blob = await blobs.find(request.params.id);
        if (!blob) throw blobErrors.NOT_FOUND();
        const etag = `"${blob.sha256}"`;
        reply
          .header('etag', etag)
          .header('accept-ranges', 'bytes')
          .header('last-modified', blob.createdAt.toUTCString());
        if (namesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();

        const ifRange = request.headers['if-range'];
        const rangeHeader = ifRange === undefined || ifRange === etag ? request.headers.range : undefined;
        const range = parseRange(rangeHeader, blob.size);
        if (range.kind === 'unsatisfiable') {
          const error = blobErrors.RANGE_NOT_SATISFIABLE({ detail: `The blob has ${blob.size} bytes.` });
          reply.header('content-range', `bytes */${blob.size}`);
          return sendProblem(reply, { ...toProblem(error, request), status: 416 });
        }

        const partial = range.kind === 'range';
        const start = partial ? range.start : 0;
        const end = partial ? range.end : blob.size - 1;
        const length = blob.size === 0 ? 0 : end - start + 1;
        reply
          .code(partial ? 206 : 200)
          .type(blob.contentType)
          .header('content-length', String(length));
        if (partial) reply.header('content-range', contentRange(start, end, blob.size));
        if (request.method === 'HEAD' || length === 0) return reply.send();

        reply.raw.once('finish', () => metrics.blobBytes.inc({ direction: 'out' }, length));
        return reply.send(
          await firstChunkRead(blobs.openDownload(blob, partial ? { start, end } : undefined), storeWaitMs),
        );
      },
    });

    scope.delete(
      BLOBS_V1_PATHS.blob,
      {
        schema: {
          tags: ['blobs'],
          summary: 'Delete a blob and its chunks',
          description: '204 when deleted; 404 `BLOB.NOT_FOUND` when there is no such blob.',
          security: serviceTokenSecurity,
          params: BlobIdParamsSchema,
          response: { 204: EmptyResponse('Deleted.'), 404: ProblemSchema },
        },
      },
      async (request, reply) => {
        if (!(await blobs.delete(request.params.id))) throw blobErrors.NOT_FOUND();
        return reply.code(204).send();
      },
    );
  });
}

/**
 * Reads the first chunk before the answer starts, so a store that cannot be read gets a clean 503 (or
 * the mapped error) instead of a 200 whose body breaks off; the rest streams as usual.
 */
async function firstChunkRead(stream: Readable, storeWaitMs: number): Promise<Readable> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first: IteratorResult<Buffer>;
  try {
    first = await iterator.next();
  } catch (error) {
    stream.destroy();
    if (isServerUnreachable(error)) throw storeUnreachable(error, storeWaitMs);
    throw error;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (first.done) return;
      yield first.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // Closes the cursor when the client stops reading early.
      await iterator.return?.();
    }
  }
  return Readable.from(rest(), { objectMode: false });
}

function emptyBody(): Readable {
  return Readable.from([]);
}
