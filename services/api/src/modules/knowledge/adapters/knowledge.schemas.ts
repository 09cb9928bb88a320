import {
  KnowledgeDocumentStatusSchema,
  MediaFailureSchema,
  PageQuery,
  Timestamp,
  Uuid,
} from '@flotilla/contracts';
import { type Static, Type } from 'typebox';

/** A document as its owner sees it. */
export const DocumentViewSchema = Type.Object(
  {
    id: Uuid,
    title: Type.String(),
    content_type: Type.String(),
    status: KnowledgeDocumentStatusSchema,
    chunk_count: Type.Integer({ minimum: 0 }),
    error: Type.Union([MediaFailureSchema, Type.Null()]),
    job_id: Type.Union([Uuid, Type.Null()], {
      description: 'The job that tracks ingestion (`GET /media/:id`).',
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
    indexed_at: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false },
);
/** A document as its owner sees it. */
export type DocumentView = Static<typeof DocumentViewSchema>;

/** A page of one's documents. */
export const DocumentPageSchema = Type.Object(
  { items: Type.Array(DocumentViewSchema), next_cursor: Type.Union([Type.String(), Type.Null()]) },
  { additionalProperties: false },
);

/** `GET /knowledge/documents` query. */
export const ListDocumentsQuerySchema = Type.Object(
  { ...PageQuery.properties, status: Type.Optional(KnowledgeDocumentStatusSchema) },
  { additionalProperties: false },
);

/** `:id` of a document. */
export const DocumentIdParamsSchema = Type.Object({ id: Uuid }, { additionalProperties: false });

/** `POST /ask` body. */
export const AskBodySchema = Type.Object(
  {
    question: Type.String({
      minLength: 1,
      maxLength: 8000,
      description: 'The question (at most KNOWLEDGE_QUESTION_MAX_CHARS characters; 1000 by default).',
    }),
    top_k: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'Passages to retrieve.' })),
    document_ids: Type.Optional(
      Type.Array(Uuid, { minItems: 1, maxItems: 50, description: 'Only these documents of yours.' }),
    ),
  },
  { additionalProperties: false },
);

/** A passage an answer rests on. */
export const CitationSchema = Type.Object(
  {
    document_id: Uuid,
    title: Type.String(),
    chunk_index: Type.Integer({ minimum: 0 }),
    page: Type.Optional(Type.Integer({ minimum: 1 })),
    score: Type.Number({ description: 'Cosine similarity to the question.' }),
    snippet: Type.String(),
  },
  { additionalProperties: false },
);

/** `POST /ask` answer. */
export const AskReplySchema = Type.Object(
  {
    mode: Type.Enum(['generative', 'extractive'], {
      description: "`extractive`: quoted passages (no language model configured), not a model's words.",
    }),
    answer: Type.String(),
    citations: Type.Array(CitationSchema),
    model: Type.Union([Type.String(), Type.Null()]),
    prompt_version: Type.Union([Type.String(), Type.Null()]),
    embedder: Type.String(),
  },
  { additionalProperties: false },
);
