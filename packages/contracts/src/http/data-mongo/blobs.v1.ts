import { type Static, Type } from 'typebox';
import { Page, PageQuery, Timestamp, Uuid } from '../common.v1.js';

/** A file name as given by its uploader: no path separators, no control characters. */
export const BlobFilenameSchema = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[^/\\\\\\u0000-\\u001f\\u007f]+$',
  description: 'File name (no path separators, no control characters).',
});

/** A media type such as `image/jpeg`, optionally with parameters (`text/plain; charset=utf-8`). */
export const BlobContentTypeSchema = Type.String({
  minLength: 3,
  maxLength: 255,
  pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\\s*;[ -~]*)?$',
  description: 'Media type of the content, e.g. `image/jpeg`.',
});

/** A stored file (the GridFS file document, without its bytes). */
export const BlobMetadataSchema = Type.Object(
  {
    id: Uuid,
    filename: BlobFilenameSchema,
    content_type: Type.String(),
    size: Type.Integer({ minimum: 0, description: 'Size in bytes.' }),
    sha256: Type.String({
      pattern: '^[0-9a-f]{64}$',
      description: 'SHA-256 of the content, lower-case hex.',
    }),
    owner_id: Uuid,
    created_at: Timestamp,
  },
  { additionalProperties: false },
);
/** A stored file's metadata. */
export type BlobMetadata = Static<typeof BlobMetadataSchema>;

/**
 * Query of `POST /api/v1/blobs`. The request body is the raw file (streamed, never buffered) and its
 * `Content-Type` header is the file's media type (default `application/octet-stream`).
 */
export const BlobUploadQuerySchema = Type.Object(
  {
    filename: BlobFilenameSchema,
    owner_id: Uuid,
  },
  { additionalProperties: false },
);
/** Query of an upload. */
export type BlobUploadQuery = Static<typeof BlobUploadQuerySchema>;

/** Path parameters naming one blob. */
export const BlobIdParamsSchema = Type.Object({ id: Uuid }, { additionalProperties: false });
/** Path parameters naming one blob. */
export type BlobIdParams = Static<typeof BlobIdParamsSchema>;

/**
 * Query of `GET /api/v1/blobs`: stored files created before `created_before`, the oldest first (by
 * creation time, then id), cursor paginated. For the worker's sweep of files nothing references: an
 * upload still in flight has no file document yet, and one that just finished is younger than the
 * threshold the caller chooses.
 */
export const BlobListQuerySchema = Type.Object(
  { ...PageQuery.properties, created_before: Timestamp },
  { additionalProperties: false },
);
/** Query of a blob listing. */
export type BlobListQuery = Static<typeof BlobListQuerySchema>;

/** A page of stored files, the oldest first. */
export const BlobPageSchema = Page(BlobMetadataSchema);
/** A page of stored files. */
export type BlobPage = Static<typeof BlobPageSchema>;

/** Paths of the blob endpoints of data-mongo (`:id` is a placeholder). */
export const BLOBS_V1_PATHS = {
  blobs: '/api/v1/blobs',
  blob: '/api/v1/blobs/:id',
  content: '/api/v1/blobs/:id/content',
} as const;
