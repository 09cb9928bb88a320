import {
  MediaFailureSchema,
  MediaJobKindSchema,
  MediaJobSourceSchema,
  MediaJobStatusSchema,
  PageQuery,
  Timestamp,
  Uuid,
} from '@flotilla/contracts';
import { type Static, Type } from 'typebox';

const Bytes = Type.Integer({ minimum: 0 });
const Pixels = Type.Integer({ minimum: 1 });

/** A job as its owner sees it: no blob ids, no lease; files are reached through their own URLs. */
export const MediaViewSchema = Type.Object(
  {
    id: Uuid,
    kind: MediaJobKindSchema,
    source: MediaJobSourceSchema,
    status: MediaJobStatusSchema,
    progress: Type.Integer({ minimum: 0, maximum: 100, description: 'Percent done.' }),
    attempts: Type.Integer({ minimum: 0 }),
    max_attempts: Type.Integer({ minimum: 1 }),
    error: Type.Union([MediaFailureSchema, Type.Null()]),
    original: Type.Object(
      { filename: Type.String(), content_type: Type.String(), size_bytes: Bytes },
      { additionalProperties: false },
    ),
    result: Type.Union([
      Type.Object(
        {
          content_type: Type.Optional(Type.String()),
          size_bytes: Type.Optional(Bytes),
          width: Type.Optional(Pixels),
          height: Type.Optional(Pixels),
          original_width: Type.Optional(Pixels),
          original_height: Type.Optional(Pixels),
          thumbnail_size_bytes: Type.Optional(Bytes),
          bytes_saved: Type.Optional(Type.Integer()),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    links: Type.Object(
      {
        self: Type.String(),
        events: Type.String(),
        original: Type.String(),
        result: Type.Optional(Type.String()),
        thumbnail: Type.Optional(Type.String()),
      },
      { additionalProperties: false, description: 'Where to follow the job and fetch its files.' },
    ),
    created_at: Timestamp,
    updated_at: Timestamp,
    started_at: Type.Union([Timestamp, Type.Null()]),
    finished_at: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false },
);
/** A job as its owner sees it. */
export type MediaView = Static<typeof MediaViewSchema>;

/** A page of one's jobs. */
export const MediaPageSchema = Type.Object(
  { items: Type.Array(MediaViewSchema), next_cursor: Type.Union([Type.String(), Type.Null()]) },
  { additionalProperties: false },
);

/** `GET /media` query. */
export const ListMediaQuerySchema = Type.Object(
  {
    ...PageQuery.properties,
    status: Type.Optional(MediaJobStatusSchema),
    kind: Type.Optional(MediaJobKindSchema),
  },
  { additionalProperties: false },
);

/** `:id` of a job. */
export const MediaIdParamsSchema = Type.Object({ id: Uuid }, { additionalProperties: false });
