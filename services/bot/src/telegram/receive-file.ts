import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';
import {
  createRedisUploadIdempotency,
  createUploadDocument,
  createUploadPhoto,
  type IntakeDeps,
} from '@flotilla/intake';
import { isDomainError, type Logger, type Messaging, type RedisConnection } from '@flotilla/platform';
import type { BotConfig } from '../config.js';
import type { ReceivedFile, UploadServices } from './uploads.handlers.js';

/** Sentences for the upload errors a user can do something about. */
function refusal(
  code: string,
  data: Record<string, unknown> | undefined,
  detail: string | undefined,
): string | undefined {
  switch (code) {
    case 'MEDIA.TOO_LARGE':
      return 'it is larger than I accept.';
    case 'MEDIA.EMPTY_FILE':
      return 'it is empty.';
    case 'MEDIA.UNSUPPORTED_TYPE':
      if (data?.detected_family === 'photo')
        return 'it is a picture; send it as a photo to have it compressed.';
      if (data?.detected_family === 'document') return 'it is a document, not a photo; send it as a file.';
      return `${detail ?? 'this type of file is not supported'} I take photos, and txt, md, pdf or docx documents.`;
    default:
      return undefined;
  }
}

/**
 * Hands a file received in Telegram to the shared upload use cases of `@flotilla/intake` (the same ones
 * the api's multipart routes call), as a `telegram` upload that names the chat to answer in.
 */
export function createReceiveFile(deps: {
  config: BotConfig;
  dataPostgres: DataPostgresClient;
  dataMongo: DataMongoClient;
  messaging: Messaging;
  redis: RedisConnection;
  logger: Logger;
}): UploadServices['receiveFile'] {
  const intake: IntakeDeps = {
    jobs: deps.dataPostgres.mediaJobs,
    blobs: deps.dataMongo.blobs,
    events: deps.messaging,
    // Telegram files carry no Idempotency-Key (updates are deduplicated by id); the port is still wired.
    idempotency: createRedisUploadIdempotency(deps.redis.client, {
      ttlSeconds: 24 * 3600,
      pendingTtlSeconds: 60,
    }),
    logger: deps.logger,
  };
  const uploadPhoto = createUploadPhoto({ ...intake, maxBytes: deps.config.maxPhotoBytes });
  const uploadDocument = createUploadDocument({
    ...intake,
    documents: deps.dataPostgres.documents,
    maxBytes: deps.config.knowledge.limits.maxBytes,
  });

  return async function receiveFile(input): Promise<ReceivedFile> {
    const file = { filename: input.filename, stream: input.stream };
    const origin = { source: 'telegram' as const, telegramChatId: input.chatId };
    try {
      if (input.kind === 'photo') {
        const { job } = await uploadPhoto({ ownerId: input.ownerId, file, origin });
        return { status: 'accepted', jobId: job.id };
      }
      const { document } = await uploadDocument({ ownerId: input.ownerId, file, origin });
      return { status: 'accepted', jobId: document.source_job_id ?? document.id };
    } catch (error) {
      const reason = isDomainError(error) ? refusal(error.code, error.data, error.detail) : undefined;
      if (reason) return { status: 'refused', reason };
      throw error;
    }
  };
}
