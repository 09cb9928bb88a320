import { type Static, Type } from 'typebox';
import { Page, PageQuery, Timestamp, Uuid } from '../common.v1.js';
import { OutboxEventsSchema } from './outbox.v1.js';

/** What a media job processes. */
export const MediaJobKindSchema = Type.Enum(['photo', 'document'], { description: '`photo` or `document`.' });
/** What a media job processes. */
export type MediaJobKind = Static<typeof MediaJobKindSchema>;

/** Where the upload came from (the bot replies in Telegram to `telegram` jobs). */
export const MediaJobSourceSchema = Type.Enum(['api', 'telegram'], { description: '`api` or `telegram`.' });
/** Where the upload came from. */
export type MediaJobSource = Static<typeof MediaJobSourceSchema>;

/** `queued -> processing -> succeeded | failed`; a retryable failure goes back to `queued`. */
export const MediaJobStatusSchema = Type.Enum(['queued', 'processing', 'succeeded', 'failed'], {
  description: '`queued`, `processing`, `succeeded` or `failed`.',
});
/** A media job's status. */
export type MediaJobStatus = Static<typeof MediaJobStatusSchema>;

/** Id of a blob stored in data-mongo. */
export const MediaBlobRefSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'Id of a blob in data-mongo.',
});

/**
 * Who holds a job's lease (e.g. `worker-3f2a:7c1e...`). Use a value unique per claim: progress,
 * complete and fail are accepted only from the current lease owner.
 */
export const MediaLeaseOwnerSchema = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9._:@/-]+$',
  description: 'Lease owner, unique per claim.',
});

const ByteCount = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Dimension = Type.Integer({ minimum: 1, maximum: 1_000_000 });
const ContentType = Type.String({
  minLength: 3,
  maxLength: 127,
  pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$',
  description: 'Media type, e.g. `image/jpeg`.',
});

/** An error recorded on a job or a document: a stable code and a message. */
export const MediaFailureSchema = Type.Object(
  {
    code: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Z][A-Z0-9_]*(\\.[A-Z][A-Z0-9_]*)*$',
      description: 'Stable error code, e.g. `MEDIA.UNSUPPORTED_FORMAT`.',
    }),
    message: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
/** An error recorded on a job or a document. */
export type MediaFailure = Static<typeof MediaFailureSchema>;

/** The uploaded file a job processes. */
export const MediaOriginalSchema = Type.Object(
  {
    blob_id: MediaBlobRefSchema,
    filename: Type.String({ minLength: 1, maxLength: 255 }),
    content_type: ContentType,
    size_bytes: ByteCount,
  },
  { additionalProperties: false },
);
/** The uploaded file a job processes. */
export type MediaOriginal = Static<typeof MediaOriginalSchema>;

/** What processing produced (every field optional: a document job has no result blob). */
export const MediaJobResultSchema = Type.Object(
  {
    blob_id: Type.Optional(MediaBlobRefSchema),
    content_type: Type.Optional(ContentType),
    size_bytes: Type.Optional(ByteCount),
    width: Type.Optional(Dimension),
    height: Type.Optional(Dimension),
    original_width: Type.Optional(Dimension),
    original_height: Type.Optional(Dimension),
    thumbnail_blob_id: Type.Optional(MediaBlobRefSchema),
    thumbnail_size_bytes: Type.Optional(ByteCount),
    bytes_saved: Type.Optional(
      Type.Integer({
        minimum: -Number.MAX_SAFE_INTEGER,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Original size minus result size (negative if the result is larger).',
      }),
    ),
  },
  { additionalProperties: false },
);
/** What processing produced. */
export type MediaJobResult = Static<typeof MediaJobResultSchema>;

/** A media job. */
export const MediaJobSchema = Type.Object(
  {
    id: Uuid,
    owner_id: Uuid,
    kind: MediaJobKindSchema,
    source: MediaJobSourceSchema,
    status: MediaJobStatusSchema,
    attempts: Type.Integer({ minimum: 0 }),
    max_attempts: Type.Integer({ minimum: 1 }),
    lease_owner: Type.Union([MediaLeaseOwnerSchema, Type.Null()]),
    lease_expires_at: Type.Union([Timestamp, Type.Null()]),
    progress: Type.Integer({ minimum: 0, maximum: 100 }),
    original: MediaOriginalSchema,
    result: Type.Union([MediaJobResultSchema, Type.Null()]),
    error: Type.Union([MediaFailureSchema, Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
    started_at: Type.Union([Timestamp, Type.Null()]),
    finished_at: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false },
);
/** A media job. */
export type MediaJob = Static<typeof MediaJobSchema>;

/** `POST /api/v1/media-jobs` body: a new job, `queued`. */
export const CreateMediaJobBodySchema = Type.Object(
  {
    id: Type.Optional(Uuid),
    owner_id: Uuid,
    kind: MediaJobKindSchema,
    source: Type.Optional(MediaJobSourceSchema),
    max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 3 })),
    original: MediaOriginalSchema,
    events: Type.Optional(OutboxEventsSchema),
  },
  { additionalProperties: false },
);
/** `POST /api/v1/media-jobs` body. */
export type CreateMediaJobBody = Static<typeof CreateMediaJobBodySchema>;

/** `GET /api/v1/media-jobs` query: newest first, by owner, status and kind. */
export const ListMediaJobsQuerySchema = Type.Object(
  {
    ...PageQuery.properties,
    owner_id: Type.Optional(Uuid),
    status: Type.Optional(MediaJobStatusSchema),
    kind: Type.Optional(MediaJobKindSchema),
  },
  { additionalProperties: false },
);
/** `GET /api/v1/media-jobs` query. */
export type ListMediaJobsQuery = Static<typeof ListMediaJobsQuerySchema>;

/** A page of media jobs. */
export const MediaJobPageSchema = Page(MediaJobSchema);
/** A page of media jobs. */
export type MediaJobPage = Static<typeof MediaJobPageSchema>;

/** A bounded batch of jobs for the worker's schedules (not paginated: act on it, then ask again). */
export const MediaJobBatchSchema = Type.Object(
  { items: Type.Array(MediaJobSchema) },
  { additionalProperties: false },
);
/** A bounded batch of jobs. */
export type MediaJobBatch = Static<typeof MediaJobBatchSchema>;

const LeaseSeconds = Type.Integer({ minimum: 1, maximum: 3600, description: 'Lease length in seconds.' });

/**
 * `POST /api/v1/media-jobs/:id/claim` body. A `queued` job, or a `processing` one whose lease expired,
 * becomes `processing` under this lease and its `attempts` goes up by one; exactly one of concurrent
 * claimers wins, the others get 409 `JOB.ALREADY_LEASED`.
 */
export const ClaimMediaJobBodySchema = Type.Object(
  { lease_owner: MediaLeaseOwnerSchema, lease_seconds: LeaseSeconds },
  { additionalProperties: false },
);
/** `POST /api/v1/media-jobs/:id/claim` body. */
export type ClaimMediaJobBody = Static<typeof ClaimMediaJobBodySchema>;

/** `POST /api/v1/media-jobs/:id/progress` body; `lease_seconds` also extends the lease (a heartbeat). */
export const MediaJobProgressBodySchema = Type.Object(
  {
    lease_owner: MediaLeaseOwnerSchema,
    progress: Type.Integer({ minimum: 0, maximum: 100 }),
    lease_seconds: Type.Optional(LeaseSeconds),
  },
  { additionalProperties: false },
);
/** `POST /api/v1/media-jobs/:id/progress` body. */
export type MediaJobProgressBody = Static<typeof MediaJobProgressBodySchema>;

/** `POST /api/v1/media-jobs/:id/complete` body. */
export const CompleteMediaJobBodySchema = Type.Object(
  { lease_owner: MediaLeaseOwnerSchema, result: Type.Optional(MediaJobResultSchema) },
  { additionalProperties: false },
);
/** `POST /api/v1/media-jobs/:id/complete` body. */
export type CompleteMediaJobBody = Static<typeof CompleteMediaJobBodySchema>;

/**
 * `POST /api/v1/media-jobs/:id/fail` body. With `retryable` and attempts left the job goes back to
 * `queued`; otherwise it is `failed` for good. The answer's `status` tells which.
 */
export const FailMediaJobBodySchema = Type.Object(
  { lease_owner: MediaLeaseOwnerSchema, error: MediaFailureSchema, retryable: Type.Boolean() },
  { additionalProperties: false },
);
/** `POST /api/v1/media-jobs/:id/fail` body. */
export type FailMediaJobBody = Static<typeof FailMediaJobBodySchema>;

/**
 * `POST /api/v1/media-jobs/:id/release` body. The job goes back to `queued` and the attempt its claim
 * took is given back: for a worker stopped by the infrastructure, not by the job. `error`, when given,
 * is recorded as the last error (why the job waits).
 */
export const ReleaseMediaJobBodySchema = Type.Object(
  { lease_owner: MediaLeaseOwnerSchema, error: Type.Optional(MediaFailureSchema) },
  { additionalProperties: false },
);
/** `POST /api/v1/media-jobs/:id/release` body. */
export type ReleaseMediaJobBody = Static<typeof ReleaseMediaJobBodySchema>;

/**
 * `POST /api/v1/media-jobs/:id/requeue` body. Allowed from `processing` once the lease has expired (a
 * job whose attempts are used up becomes `failed` instead, with `error`) and from `failed` (a manual
 * retry: attempts start again from 0). `error` records why (default `JOB.LEASE_EXPIRED`).
 */
export const RequeueMediaJobBodySchema = Type.Object(
  { error: Type.Optional(MediaFailureSchema) },
  { additionalProperties: false },
);
/** `POST /api/v1/media-jobs/:id/requeue` body. */
export type RequeueMediaJobBody = Static<typeof RequeueMediaJobBodySchema>;

/** `GET /api/v1/media-jobs/expired-leases` query. */
export const ExpiredLeasesQuerySchema = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) },
  { additionalProperties: false },
);
/** `GET /api/v1/media-jobs/expired-leases` query. */
export type ExpiredLeasesQuery = Static<typeof ExpiredLeasesQuerySchema>;

/** `GET /api/v1/media-jobs/stale-queued` query: jobs `queued` for longer than `older_than_seconds`. */
export const StaleQueuedQuerySchema = Type.Object(
  {
    older_than_seconds: Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);
/** `GET /api/v1/media-jobs/stale-queued` query. */
export type StaleQueuedQuery = Static<typeof StaleQueuedQuerySchema>;

/**
 * `GET /api/v1/media-jobs/finished` query: jobs `succeeded` or `failed` whose `finished_at` is older than
 * `older_than_seconds`, the oldest first (for the retention schedule).
 */
export const FinishedJobsQuerySchema = Type.Object(
  {
    older_than_seconds: Type.Integer({ minimum: 1, maximum: 10 * 365 * 24 * 3600 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);
/** `GET /api/v1/media-jobs/finished` query. */
export type FinishedJobsQuery = Static<typeof FinishedJobsQuerySchema>;

/** A blob id as media jobs store it (data-mongo makes UUIDs; the column holds up to 64 characters). */
const BlobReferenceId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' });

/**
 * `POST /api/v1/media-jobs/blob-references` body: blob ids to check (read only; POST because a few
 * hundred ids do not fit a query string).
 */
export const BlobReferencesBodySchema = Type.Object(
  { blob_ids: Type.Array(BlobReferenceId, { minItems: 1, maxItems: 500 }) },
  { additionalProperties: false },
);
/** `POST /api/v1/media-jobs/blob-references` body. */
export type BlobReferencesBody = Static<typeof BlobReferencesBodySchema>;

/**
 * `POST /api/v1/media-jobs/blob-references` answer: the ids of the request that some job references (as
 * its original, result or thumbnail), each once, in no particular order. A document's file is its
 * source job's original, so this covers documents too.
 */
export const BlobReferencesSchema = Type.Object(
  { referenced: Type.Array(BlobReferenceId) },
  { additionalProperties: false },
);
/** The referenced ids among those asked about. */
export type BlobReferences = Static<typeof BlobReferencesSchema>;

/** Path parameter `:id`. */
export const MediaJobIdParamsSchema = Type.Object({ id: Uuid }, { additionalProperties: false });

/** Error codes data-postgres answers about media jobs (problem+json `code`). */
export const MediaJobErrorCode = {
  /** 404: no such job. */
  NOT_FOUND: 'JOB.NOT_FOUND',
  /** 409: a job with this id exists already. */
  ALREADY_EXISTS: 'JOB.ALREADY_EXISTS',
  /** 422: `owner_id` names no user. */
  OWNER_NOT_FOUND: 'JOB.OWNER_NOT_FOUND',
  /** 409: the transition is not allowed from the job's status (body has `job_status`). */
  ILLEGAL_TRANSITION: 'JOB.ILLEGAL_TRANSITION',
  /** 409: claim refused: another owner holds a lease that has not expired. */
  ALREADY_LEASED: 'JOB.ALREADY_LEASED',
  /** 409: progress/complete/fail refused: the caller no longer holds the lease (body has `job_status`). */
  LEASE_LOST: 'JOB.LEASE_LOST',
  /** 409: claim refused: the job used all its attempts. */
  ATTEMPTS_EXHAUSTED: 'JOB.ATTEMPTS_EXHAUSTED',
  /** 409: requeue refused: the job's lease has not expired yet. */
  LEASE_ACTIVE: 'JOB.LEASE_ACTIVE',
} as const;
