import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataMongoClient } from '@flotilla/contracts';
import { isDomainError, isInfrastructureFailure, isUpstreamHttpError } from '@flotilla/platform';
import { uploadErrors } from './intake.errors.js';
import { SNIFF_BYTES, type SniffedType, sniffFile, type UploadFamily } from './upload/file-sniffer.js';
import { readHead } from './upload/head-reader.js';
import { MeteredStream, UploadNotTextError, UploadTooLargeError } from './upload/metered-stream.js';
import { safeFilename } from './upload/safe-filename.js';

/** An incoming file: its name as the client gave it and its bytes, read once. */
export interface IncomingFile {
  filename: string;
  stream: Readable;
}

/** A file stored in data-mongo. */
export interface StoredUpload {
  blobId: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  /** SHA-256 of the bytes (lower-case hex): the fingerprint of an idempotent upload. */
  sha256: string;
}

/** What {@link createStoreUpload} needs. */
export interface StoreUploadDeps {
  blobs: Pick<DataMongoClient['blobs'], 'upload'>;
}

/** One upload: who, which file, what may it be, how large. */
export interface StoreUploadInput {
  ownerId: string;
  file: IncomingFile;
  accept: UploadFamily;
  maxBytes: number;
}

const FAMILY_NAMES: Record<UploadFamily, string> = { photo: 'photos', document: 'documents' };

/** Discards what is left of a refused upload, so the client still reads the answer. */
function discard(stream: Readable): void {
  stream.on('error', () => undefined);
  stream.resume();
}

function unsupported(input: StoreUploadInput, type: SniffedType | undefined, detected: string | undefined) {
  const what = detected ? `a file of type ${detected}` : 'a file of unknown type';
  if (type && type.family !== input.accept) {
    // Each edge says where the other family goes (the api names its route, the bot just takes it).
    return uploadErrors.UNSUPPORTED_TYPE({
      detail: `This is ${what}; ${FAMILY_NAMES[type.family]} are uploaded separately.`,
      data: { detected_type: type.contentType, detected_family: type.family },
    });
  }
  return uploadErrors.UNSUPPORTED_TYPE({
    detail: `This is ${what}; ${FAMILY_NAMES[input.accept]} only (decided from the file's content).`,
    ...(detected ? { data: { detected_type: detected } } : {}),
  });
}

/**
 * Stores an upload in data-mongo as it arrives: its type is decided from the first bytes (magic bytes, or
 * UTF-8 text for txt/md), then the whole file streams through a size limit and a SHA-256 into GridFS. On
 * any failure nothing is kept: data-mongo drops the chunks of an upload whose stream fails.
 */
export function createStoreUpload(deps: StoreUploadDeps) {
  return async function storeUpload(input: StoreUploadInput): Promise<StoredUpload> {
    const { maxBytes } = input;
    // Every edge's names are made safe here (a Telegram document's name arrives as sent).
    const file = { ...input.file, filename: safeFilename(input.file.filename) };
    let sourceFailed = false;
    file.stream.once('error', () => {
      sourceFailed = true;
    });
    const { head, ended, whole } = await readHead(file.stream, SNIFF_BYTES).catch((error: unknown) => {
      throw uploadErrors.UPLOAD_INCOMPLETE({ cause: error });
    });
    if (head.length === 0) throw uploadErrors.EMPTY_FILE();
    const { type, detected } = await sniffFile(head, { filename: file.filename, complete: ended });
    if (!type || type.family !== input.accept) {
      discard(whole);
      throw unsupported(input, type, detected);
    }

    const meter = new MeteredStream({ maxBytes, text: type.text });
    const piping = pipeline(whole, meter);
    // Settled below; without this, a failure before then would be reported as unhandled.
    piping.catch(() => undefined);
    try {
      const [blob] = await Promise.all([
        deps.blobs.upload(meter, {
          filename: file.filename,
          owner_id: input.ownerId,
          content_type: type.contentType,
        }),
        piping,
      ]);
      return {
        blobId: blob.id,
        filename: file.filename,
        contentType: type.contentType,
        sizeBytes: blob.size,
        sha256: meter.sha256(),
      };
    } catch (error) {
      // Whether the client's stream broke first: tearing the pipeline down below can break it too, and
      // that must not turn an unavailable store (503) into the client's fault (400).
      const clientFailedFirst = sourceFailed;
      // The stream's own failure (too large, not text) explains an upload aborted because of it.
      // A small file may be in the meter's buffer already, its pipeline settled and gone: the error the
      // meter then emits has no other listener and would be an uncaught exception (the process ends).
      meter.on('error', () => undefined);
      meter.destroy(error instanceof Error ? error : new Error(String(error)));
      const pipeError = await piping.then(
        () => undefined,
        (failure: unknown) => failure,
      );
      const reason =
        pipeError instanceof UploadTooLargeError || pipeError instanceof UploadNotTextError
          ? pipeError
          : error;
      discard(file.stream);
      // data-mongo's own limit (BLOB_MAX_BYTES) is lower than ours: the same answer.
      if (reason instanceof UploadTooLargeError || isUpstreamHttpError(reason, 413)) {
        throw uploadErrors.TOO_LARGE({
          detail: `The limit is ${maxBytes} bytes.`,
          data: { max_bytes: maxBytes },
        });
      }
      if (reason instanceof UploadNotTextError) {
        throw uploadErrors.UNSUPPORTED_TYPE({ detail: `${reason.message}: not a text document.` });
      }
      if (clientFailedFirst || (sourceFailed && !isInfrastructureFailure(error))) {
        throw uploadErrors.UPLOAD_INCOMPLETE({ cause: error });
      }
      if (isDomainError(reason)) throw reason;
      throw error;
    }
  };
}
