import { type Static, Type } from 'typebox';
import { Uuid } from '../http/common.v1.js';
import { MediaBlobRefSchema, MediaFailureSchema } from '../http/data-postgres/media-jobs.v1.js';

const Attempt = Type.Integer({ minimum: 1, maximum: 1000, description: 'Indexing attempt, from 1.' });
const ContentType = Type.String({
  minLength: 3,
  maxLength: 127,
  pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$',
  description: 'Media type, e.g. `application/pdf`.',
});

/** `document.uploaded`: a knowledge-base document was stored (`pending`); the worker ingests it. */
export const DocumentUploadedDataSchema = Type.Object(
  {
    document_id: Uuid,
    owner_id: Uuid,
    job_id: Type.Optional(Uuid),
    blob_id: MediaBlobRefSchema,
    title: Type.String({ minLength: 1, maxLength: 255 }),
    content_type: ContentType,
    size_bytes: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  },
  {
    additionalProperties: false,
    title: 'DocumentUploaded',
    description: 'A knowledge-base document was stored and waits for ingestion.',
  },
);
/** Data of `document.uploaded`. */
export type DocumentUploadedData = Static<typeof DocumentUploadedDataSchema>;

/** `document.indexed`: the document was split, embedded and upserted into the owner's collection. */
export const DocumentIndexedDataSchema = Type.Object(
  {
    document_id: Uuid,
    owner_id: Uuid,
    chunk_count: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    duration_ms: Type.Integer({ minimum: 0, maximum: 7 * 24 * 3600 * 1000 }),
    attempts: Attempt,
  },
  {
    additionalProperties: false,
    title: 'DocumentIndexed',
    description: 'The document was chunked, embedded and stored in the vector index.',
  },
);
/** Data of `document.indexed`. */
export type DocumentIndexedData = Static<typeof DocumentIndexedDataSchema>;

/** `document.failed`: ingestion failed for good. */
export const DocumentFailedDataSchema = Type.Object(
  {
    document_id: Uuid,
    owner_id: Uuid,
    error: MediaFailureSchema,
    attempts: Attempt,
  },
  {
    additionalProperties: false,
    title: 'DocumentFailed',
    description: 'Ingestion failed for good: the error code and message, and the attempts made.',
  },
);
/** Data of `document.failed`. */
export type DocumentFailedData = Static<typeof DocumentFailedDataSchema>;
