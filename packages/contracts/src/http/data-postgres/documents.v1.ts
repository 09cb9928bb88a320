import { type Static, Type } from 'typebox';
import { Page, PageQuery, Timestamp, Uuid } from '../common.v1.js';
import { MediaFailureSchema } from './media-jobs.v1.js';
import { OutboxEventsSchema } from './outbox.v1.js';

/** A knowledge-base document's indexing status. */
export const KnowledgeDocumentStatusSchema = Type.Enum(['pending', 'indexed', 'failed'], {
  description: '`pending`, `indexed` or `failed`.',
});
/** A knowledge-base document's indexing status. */
export type KnowledgeDocumentStatus = Static<typeof KnowledgeDocumentStatusSchema>;

const Title = Type.String({ minLength: 1, maxLength: 255 });
const ContentType = Type.String({
  minLength: 3,
  maxLength: 127,
  pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$',
  description: 'Media type, e.g. `application/pdf`.',
});
const ChunkCount = Type.Integer({ minimum: 0, maximum: 1_000_000 });

/** A knowledge-base document. */
export const KnowledgeDocumentSchema = Type.Object(
  {
    id: Uuid,
    owner_id: Uuid,
    title: Title,
    source_job_id: Type.Union([Uuid, Type.Null()]),
    content_type: ContentType,
    chunk_count: ChunkCount,
    status: KnowledgeDocumentStatusSchema,
    error: Type.Union([MediaFailureSchema, Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
    indexed_at: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false },
);
/** A knowledge-base document. */
export type KnowledgeDocument = Static<typeof KnowledgeDocumentSchema>;

/** `POST /api/v1/documents` body: a new document, `pending`. */
export const CreateKnowledgeDocumentBodySchema = Type.Object(
  {
    id: Type.Optional(Uuid),
    owner_id: Uuid,
    title: Title,
    source_job_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
    content_type: ContentType,
    events: Type.Optional(OutboxEventsSchema),
  },
  { additionalProperties: false },
);
/** `POST /api/v1/documents` body. */
export type CreateKnowledgeDocumentBody = Static<typeof CreateKnowledgeDocumentBodySchema>;

/**
 * `PATCH /api/v1/documents/:id` body. Setting `status: indexed` stamps `indexed_at` and clears
 * `error` unless one is given.
 */
export const PatchKnowledgeDocumentBodySchema = Type.Object(
  {
    title: Type.Optional(Title),
    status: Type.Optional(KnowledgeDocumentStatusSchema),
    chunk_count: Type.Optional(ChunkCount),
    error: Type.Optional(Type.Union([MediaFailureSchema, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
/** `PATCH /api/v1/documents/:id` body. */
export type PatchKnowledgeDocumentBody = Static<typeof PatchKnowledgeDocumentBodySchema>;

/** `GET /api/v1/documents` query: newest first, by owner, status and source job. */
export const ListKnowledgeDocumentsQuerySchema = Type.Object(
  {
    ...PageQuery.properties,
    owner_id: Type.Optional(Uuid),
    status: Type.Optional(KnowledgeDocumentStatusSchema),
    source_job_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
/** `GET /api/v1/documents` query. */
export type ListKnowledgeDocumentsQuery = Static<typeof ListKnowledgeDocumentsQuerySchema>;

/** A page of documents. */
export const KnowledgeDocumentPageSchema = Page(KnowledgeDocumentSchema);
/** A page of documents. */
export type KnowledgeDocumentPage = Static<typeof KnowledgeDocumentPageSchema>;

/** Path parameter `:id`. */
export const KnowledgeDocumentIdParamsSchema = Type.Object({ id: Uuid }, { additionalProperties: false });

/** Error codes data-postgres answers about knowledge-base documents (problem+json `code`). */
export const KnowledgeDocumentErrorCode = {
  /** 404: no such document. */
  NOT_FOUND: 'DOCUMENT.NOT_FOUND',
  /** 409: a document with this id exists already. */
  ALREADY_EXISTS: 'DOCUMENT.ALREADY_EXISTS',
  /** 422: `owner_id` names no user. */
  OWNER_NOT_FOUND: 'DOCUMENT.OWNER_NOT_FOUND',
  /** 422: `source_job_id` names no media job. */
  SOURCE_JOB_NOT_FOUND: 'DOCUMENT.SOURCE_JOB_NOT_FOUND',
} as const;
