import type { Static } from 'typebox';
import {
  DocumentFailedDataSchema,
  DocumentIndexedDataSchema,
  DocumentUploadedDataSchema,
} from './documents.v1.js';
import type { AnyEventEnvelope } from './envelope.v1.js';
import {
  MediaFailedDataSchema,
  MediaProcessingDataSchema,
  MediaSucceededDataSchema,
  MediaUploadedDataSchema,
} from './media.v1.js';
import { TelegramLinkedDataSchema, UserRegisteredDataSchema, UserUpdatedDataSchema } from './users.v1.js';

/**
 * Every event type with the schema of its `data` (version 1). The routing key of an event is its type.
 * Pass it to the platform's messaging module, which validates every published and consumed event with it.
 */
export const EVENT_SCHEMAS = {
  'user.registered': UserRegisteredDataSchema,
  'user.updated': UserUpdatedDataSchema,
  'telegram.linked': TelegramLinkedDataSchema,
  'media.uploaded': MediaUploadedDataSchema,
  'media.processing': MediaProcessingDataSchema,
  'media.succeeded': MediaSucceededDataSchema,
  'media.failed': MediaFailedDataSchema,
  'document.uploaded': DocumentUploadedDataSchema,
  'document.indexed': DocumentIndexedDataSchema,
  'document.failed': DocumentFailedDataSchema,
} as const;

/** An event type of the catalogue. */
export type EventType = keyof typeof EVENT_SCHEMAS;

/** The `data` of event type `T`. */
export type EventData<T extends EventType> = Static<(typeof EVENT_SCHEMAS)[T]>;

/** Every event type of the catalogue, in declaration order. */
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];

/** The envelope of an event of type `T`, with its typed `data`. */
export type EventEnvelopeOf<T extends EventType> = Omit<AnyEventEnvelope, 'event_type' | 'data'> & {
  event_type: T;
  data: EventData<T>;
};
