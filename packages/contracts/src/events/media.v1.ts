import { type Static, Type } from 'typebox';
import { Timestamp, Uuid } from '../http/common.v1.js';
import {
  MediaBlobRefSchema,
  MediaFailureSchema,
  MediaJobKindSchema,
  MediaJobResultSchema,
  MediaJobSourceSchema,
  MediaOriginalSchema,
} from '../http/data-postgres/media-jobs.v1.js';

const ByteCount = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Attempt = Type.Integer({ minimum: 1, maximum: 1000, description: 'Processing attempt, from 1.' });
const DurationMs = Type.Integer({
  minimum: 0,
  maximum: 7 * 24 * 3600 * 1000,
  description: 'Processing time in milliseconds.',
});

/** A Telegram chat to answer in (negative for groups), for jobs that came from the bot. */
export const TelegramChatIdSchema = Type.Integer({
  minimum: -Number.MAX_SAFE_INTEGER,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Telegram chat to answer in.',
});

/** `media.uploaded`: a file was stored and its job is `queued`; the worker processes it. */
export const MediaUploadedDataSchema = Type.Object(
  {
    job_id: Uuid,
    owner_id: Uuid,
    kind: MediaJobKindSchema,
    source: MediaJobSourceSchema,
    original: MediaOriginalSchema,
    telegram_chat_id: Type.Optional(TelegramChatIdSchema),
  },
  {
    additionalProperties: false,
    title: 'MediaUploaded',
    description: 'A file was stored and its processing job is `queued`.',
  },
);
/** Data of `media.uploaded`. */
export type MediaUploadedData = Static<typeof MediaUploadedDataSchema>;

/** `media.processing`: a worker claimed the job and started an attempt. */
export const MediaProcessingDataSchema = Type.Object(
  {
    job_id: Uuid,
    owner_id: Uuid,
    kind: MediaJobKindSchema,
    attempt: Attempt,
    started_at: Timestamp,
  },
  {
    additionalProperties: false,
    title: 'MediaProcessing',
    description: 'A worker claimed the job and started an attempt.',
  },
);
/** Data of `media.processing`. */
export type MediaProcessingData = Static<typeof MediaProcessingDataSchema>;

/** `media.succeeded`: the job is done; sizes, dimensions and the saving are in `result`. */
export const MediaSucceededDataSchema = Type.Object(
  {
    job_id: Uuid,
    owner_id: Uuid,
    kind: MediaJobKindSchema,
    source: MediaJobSourceSchema,
    original_blob_id: MediaBlobRefSchema,
    original_size_bytes: ByteCount,
    result: MediaJobResultSchema,
    bytes_saved: Type.Optional(
      Type.Integer({
        minimum: -Number.MAX_SAFE_INTEGER,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Original size minus result size (negative when the result is larger).',
      }),
    ),
    duration_ms: DurationMs,
    attempts: Attempt,
    telegram_chat_id: Type.Optional(TelegramChatIdSchema),
  },
  {
    additionalProperties: false,
    title: 'MediaSucceeded',
    description: 'The job succeeded: result blobs, sizes, dimensions, bytes saved and processing time.',
  },
);
/** Data of `media.succeeded`. */
export type MediaSucceededData = Static<typeof MediaSucceededDataSchema>;

/** `media.failed`: the job failed for good (no attempts left, or a permanent error). */
export const MediaFailedDataSchema = Type.Object(
  {
    job_id: Uuid,
    owner_id: Uuid,
    kind: MediaJobKindSchema,
    source: MediaJobSourceSchema,
    error: MediaFailureSchema,
    attempts: Attempt,
    duration_ms: Type.Optional(DurationMs),
    telegram_chat_id: Type.Optional(TelegramChatIdSchema),
  },
  {
    additionalProperties: false,
    title: 'MediaFailed',
    description: 'The job failed for good: the error code and message, and the attempts made.',
  },
);
/** Data of `media.failed`. */
export type MediaFailedData = Static<typeof MediaFailedDataSchema>;
