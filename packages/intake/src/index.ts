/**
 * @packageDocumentation
 * Flotilla's upload intake: the photo and document upload use cases the api (multipart) and the bot
 * (Telegram files) both call. A file's type is decided from its bytes, its size is metered while it
 * streams into data-mongo, then its job (and document) are written once per `Idempotency-Key` and the
 * event for the worker is published. Results are domain data; each edge turns them into its answer.
 */

export { createRedisUploadIdempotency } from './adapters/upload-idempotency.redis.js';
export { uploadErrors } from './intake.errors.js';
export type {
  IdempotencyClaim,
  IntakeDeps,
  OutboxEvents,
  UploadBlobStore,
  UploadDocumentStore,
  UploadIdempotency,
  UploadJobStore,
  UploadOrigin,
} from './intake.ports.js';
export { blobIdsOf } from './job-files.js';
export {
  createStoreUpload,
  type IncomingFile,
  type StoredUpload,
  type StoreUploadInput,
} from './store-upload.js';
export {
  DOCUMENT_TYPES,
  PHOTO_TYPES,
  SNIFF_BYTES,
  type SniffedType,
  sniffFile,
  type UploadFamily,
} from './upload/file-sniffer.js';
export { readHead } from './upload/head-reader.js';
export { MeteredStream, UploadNotTextError, UploadTooLargeError } from './upload/metered-stream.js';
export { safeFilename } from './upload/safe-filename.js';
export {
  createUploadDocument,
  titleFromFilename,
  type UploadDocumentInput,
  type UploadDocumentResult,
} from './upload-document.use-case.js';
export { recordStoredUpload, withUploadIdempotency } from './upload-idempotency.js';
export { createUploadPhoto, type UploadPhotoInput, type UploadPhotoResult } from './upload-photo.use-case.js';
