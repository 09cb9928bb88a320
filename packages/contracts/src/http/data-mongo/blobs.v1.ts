import { type Static, Type } from 'typebox';
import { Timestamp, Uuid } from '../common.v1.js';

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

/** Paths of the blob endpoints of data-mongo (`:id` is a placeholder). */
export const BLOBS_V1_PATHS = {
  blobs: '/api/v1/blobs',
  blob: '/api/v1/blobs/:id',
  content: '/api/v1/blobs/:id/content',
} as const;
