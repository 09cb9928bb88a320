import { Readable } from 'node:stream';
import {
  type MediaFailure,
  type MediaJob,
  MediaJobErrorCode,
  type MediaJobResult,
  type MediaUploadedData,
} from '@flotilla/contracts';
import { isDomainError, isInfrastructureFailure, isUpstreamHttpError, newId } from '@flotilla/platform';
import { mediaErrors, PERMANENT_MEDIA_CODES } from '../domain/media.errors.js';
import type {
  BlobDiscarder,
  BlobStore,
  MediaJobStore,
  PhotoTransformer,
  ReadBounded,
} from './photo.ports.js';
import type { PhotoJobEvents } from './photo-job-events.js';

/** Dependencies of {@link createProcessPhoto}. */
export interface ProcessPhotoDeps {
  jobs: MediaJobStore;
  blobs: BlobStore;
  events: PhotoJobEvents;
  transformer: PhotoTransformer;
  readBounded: ReadBounded;
  /** Deletes files no job owns, now or (when data-mongo is unavailable) later. */
  discardBlobs: BlobDiscarder;
  /** Pauses between tries to give a job back when data-postgres hiccups (default 0.5 s, 1 s, 2 s). */
  releaseBackoffMs?: readonly number[];
  /** Names this process in lease owners (`<instance>:<claim id>`). */
  instanceId: string;
  leaseSeconds: number;
  maxInputBytes: number;
  now?: () => number;
}

/** Which attempt of the message this is (from the delivery). */
export interface AttemptInfo {
  attempt: number;
  maxAttempts: number;
  /** How often the message was deferred (waiting for the infrastructure) so far. */
  deferrals?: number;
  /** The broker delivered it before (the consumer that had it died or lost its channel). */
  redelivered?: boolean;
}

/** What happened to a `media.uploaded` event. */
export type ProcessPhotoResult =
  | { status: 'succeeded'; durationMs: number; bytesSaved: number }
  | { status: 'failed'; code: string; durationMs: number }
  | { status: 'skipped'; reason: 'finished' | 'leased-elsewhere' | 'lease-lost' | 'attempts-exhausted' }
  | { status: 'retry'; reason: string }
  | { status: 'deferred'; reason: string }
  | { status: 'gave-up'; code: string; reason: string }
  | { status: 'rejected'; reason: string };

const upstreamCode = (error: unknown) => (isUpstreamHttpError(error) ? error.upstreamCode : undefined);

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 900 ? `${text.slice(0, 900)}…` : text;
}

function failureOf(error: unknown): MediaFailure {
  if (isDomainError(error))
    return { code: error.code, message: (error.detail ?? error.title).slice(0, 1024) };
  return { code: 'MEDIA.PROCESSING_ERROR', message: describe(error) };
}

/** `photo.jpeg` -> `photo`, bounded so the derived names stay valid file names. */
function stemOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  const stem = dot > 0 ? filename.slice(0, dot) : filename;
  return stem.slice(0, 200);
}

/**
 * Processes the photo of a `media.uploaded` event: claim the job under a lease, announce
 * `media.processing`, download the original, transform it, store the result and thumbnail, complete
 * the job with sizes, dimensions and the saving, announce `media.succeeded`.
 * - A finished job is left alone (a redelivery changes nothing); a job leased by another live worker
 *   too (if that worker dies, the lease-expiry schedule re-queues the job).
 * - A permanent failure (pixel limit, damaged or unsupported file, missing original) fails the job at
 *   once and announces `media.failed`.
 * - An unavailable infrastructure (a data service or the broker unreachable, timing out, paused by its
 *   circuit breaker, or answering 503) is no fault of the photo: the job is given back without using
 *   an attempt and the message waits in a delay queue (`deferred`), as often as it takes, so a photo
 *   the system accepted is processed once the store recovers.
 * - Any other temporary failure puts the job back to `queued` and asks for a retry; on the message's
 *   last attempt (or the job's) the job fails with `MEDIA.RETRIES_EXHAUSTED` before the message is
 *   given up.
 * Result blobs of an attempt that did not complete the job are discarded, so outputs never pile up.
 */
export function createProcessPhoto(deps: ProcessPhotoDeps) {
  const now = deps.now ?? Date.now;
  const { jobs, blobs, events } = deps;
  const releaseBackoffMs = deps.releaseBackoffMs ?? [500, 1000, 2000];

  async function download(job: MediaJob): Promise<Buffer> {
    if (job.original.size_bytes > deps.maxInputBytes) {
      throw mediaErrors.TOO_LARGE({
        detail: `${job.original.size_bytes} bytes is more than the limit of ${deps.maxInputBytes}`,
      });
    }
    try {
      const file = await blobs.download(job.original.blob_id);
      return await deps.readBounded(file.body, deps.maxInputBytes);
    } catch (error) {
      if (isUpstreamHttpError(error, 404)) throw mediaErrors.ORIGINAL_MISSING();
      throw error;
    }
  }

  /**
   * The job is terminal already: announce it again only when a previous attempt may not have (a retry,
   * a deferral, or a redelivery: the worker that had the message may have died between completing the
   * job and publishing). The outcome's event id is derived from the job, so consumers take a repeated
   * announcement once.
   */
  async function whenFinished(job: MediaJob, event: MediaUploadedData, info: AttemptInfo) {
    if (info.attempt > 1 || (info.deferrals ?? 0) > 0 || info.redelivered === true) {
      const durationMs =
        job.started_at && job.finished_at ? Date.parse(job.finished_at) - Date.parse(job.started_at) : 0;
      if (job.status === 'succeeded') await events.succeeded(job, durationMs, event);
      else if (job.error) await events.failed(job, job.error, durationMs, event);
    }
    return { status: 'skipped', reason: 'finished' } as const;
  }

  async function claim(event: MediaUploadedData, leaseOwner: string) {
    try {
      return await jobs.claim(event.job_id, { lease_owner: leaseOwner, lease_seconds: deps.leaseSeconds });
    } catch (error) {
      const code = upstreamCode(error);
      if (code === MediaJobErrorCode.ALREADY_LEASED) return 'leased-elsewhere' as const;
      if (code === MediaJobErrorCode.ILLEGAL_TRANSITION) return 'finished' as const;
      if (code === MediaJobErrorCode.NOT_FOUND) return 'not-found' as const;
      if (code === MediaJobErrorCode.ATTEMPTS_EXHAUSTED) return 'attempts-exhausted' as const;
      throw error;
    }
  }

  /** A `processing` job out of attempts whose lease expired: requeue turns it `failed`. */
  async function failExhausted(event: MediaUploadedData): Promise<ProcessPhotoResult> {
    try {
      const job = await jobs.requeue(event.job_id);
      if (job.status === 'failed' && job.error) await events.failed(job, job.error, undefined, event);
    } catch (error) {
      if (upstreamCode(error) !== MediaJobErrorCode.LEASE_ACTIVE) throw error;
    }
    return { status: 'skipped', reason: 'attempts-exhausted' };
  }

  async function run(job: MediaJob, event: MediaUploadedData, leaseOwner: string, uploaded: string[]) {
    const startedAt = now();
    await events.processing(job, new Date(startedAt).toISOString());
    const progress = (value: number) =>
      jobs.progress(job.id, { lease_owner: leaseOwner, progress: value, lease_seconds: deps.leaseSeconds });

    const input = await download(job);
    await progress(25);
    const photo = await deps.transformer.transform(input);
    await progress(60);
    const stem = stemOf(job.original.filename);
    const store = async (data: Buffer, filename: string) => {
      const meta = await blobs.upload(
        Readable.from(data),
        { filename, owner_id: job.owner_id, content_type: photo.contentType },
        { contentLength: data.length },
      );
      uploaded.push(meta.id);
      return meta;
    };
    const output = await store(photo.output.data, `${stem}.${photo.extension}`);
    const thumbnail = await store(photo.thumbnail.data, `${stem}.thumb.${photo.extension}`);
    await progress(90);
    const bytesSaved = job.original.size_bytes - output.size;
    const result: MediaJobResult = {
      blob_id: output.id,
      content_type: photo.contentType,
      size_bytes: output.size,
      width: photo.output.width,
      height: photo.output.height,
      original_width: photo.original.width,
      original_height: photo.original.height,
      thumbnail_blob_id: thumbnail.id,
      thumbnail_size_bytes: thumbnail.size,
      bytes_saved: bytesSaved,
    };
    const done = await jobs.complete(job.id, { lease_owner: leaseOwner, result });
    uploaded.length = 0; // the job owns them now
    const durationMs = now() - startedAt;
    try {
      await events.succeeded(done, durationMs, event);
    } catch (error) {
      // The job is done; the retry finds it finished and announces it then.
      return { status: 'retry', reason: `media.succeeded not published: ${describe(error)}` } as const;
    }
    return { status: 'succeeded', durationMs, bytesSaved } as const;
  }

  async function fail(
    job: MediaJob,
    event: MediaUploadedData,
    leaseOwner: string,
    error: unknown,
    info: AttemptInfo,
    startedAt: number,
  ): Promise<ProcessPhotoResult> {
    const durationMs = now() - startedAt;
    if (upstreamCode(error) === MediaJobErrorCode.LEASE_LOST)
      return { status: 'skipped', reason: 'lease-lost' };
    if (isDomainError(error) && PERMANENT_MEDIA_CODES.has(error.code)) {
      const failure = failureOf(error);
      const failed = await jobs.fail(job.id, { lease_owner: leaseOwner, error: failure, retryable: false });
      await events.failed(failed, failure, durationMs, event);
      return { status: 'failed', code: failure.code, durationMs };
    }
    const reason = describe(error);
    const last = info.attempt >= info.maxAttempts || job.attempts >= job.max_attempts;
    const failure: MediaFailure = last
      ? {
          code: mediaErrors.RETRIES_EXHAUSTED.definition.code,
          message: `Gave up after ${job.attempts} attempts: ${reason}`.slice(0, 1024),
        }
      : failureOf(error);
    let after: MediaJob;
    try {
      after = await jobs.fail(job.id, { lease_owner: leaseOwner, error: failure, retryable: !last });
    } catch {
      // data-postgres is unreachable too: the lease expires and the schedule re-queues the job.
      return last ? { status: 'gave-up', code: failure.code, reason } : { status: 'retry', reason };
    }
    if (after.status === 'failed') {
      await events.failed(after, failure, durationMs, event).catch(() => undefined);
      return { status: 'gave-up', code: failure.code, reason };
    }
    return { status: 'retry', reason };
  }

  /** Releases the job (its attempt given back), trying again while data-postgres is unavailable. */
  async function releaseJob(job: MediaJob, leaseOwner: string, error: unknown): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await jobs.release(job.id, { lease_owner: leaseOwner, error: failureOf(error) });
        return;
      } catch (releaseError) {
        const pause = releaseBackoffMs[attempt];
        if (pause === undefined || !isInfrastructureFailure(releaseError)) throw releaseError;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /**
   * The infrastructure failed while the job was ours: give the job back without using its attempt and
   * wait (`deferred`). If the lease is gone meanwhile, `complete` may have landed with its answer lost:
   * the job's own files are kept. If data-postgres cannot be told, nothing is deleted (whether the job
   * completed is unknown); the lease expires and the schedule re-queues the job.
   */
  async function giveBack(
    job: MediaJob,
    leaseOwner: string,
    error: unknown,
    uploaded: string[],
  ): Promise<ProcessPhotoResult> {
    const reason = describe(error);
    try {
      await releaseJob(job, leaseOwner, error);
    } catch (releaseError) {
      if (upstreamCode(releaseError) !== MediaJobErrorCode.LEASE_LOST) return { status: 'deferred', reason };
      const current = await jobs.get(job.id).catch(() => undefined);
      const kept = [current?.result?.blob_id, current?.result?.thumbnail_blob_id];
      await deps.discardBlobs(uploaded.filter((id) => !kept.includes(id)));
      // A completed job is announced by the redelivery (it finds the job finished).
      return current?.status === 'succeeded'
        ? { status: 'deferred', reason }
        : { status: 'skipped', reason: 'lease-lost' };
    }
    await deps.discardBlobs(uploaded);
    return { status: 'deferred', reason };
  }

  return async function processPhoto(
    event: MediaUploadedData,
    info: AttemptInfo,
  ): Promise<ProcessPhotoResult> {
    try {
      const current = await jobs.get(event.job_id);
      if (!current)
        return { status: 'rejected', reason: `${MediaJobErrorCode.NOT_FOUND}: no job ${event.job_id}` };
      if (current.kind !== 'photo')
        return { status: 'rejected', reason: `job ${current.id} is not a photo job` };
      if (current.status === 'succeeded' || current.status === 'failed')
        return whenFinished(current, event, info);
      const leaseOwner = `${deps.instanceId}:${newId()}`;
      const claimed = await claim(event, leaseOwner);
      if (claimed === 'not-found')
        return { status: 'rejected', reason: `${MediaJobErrorCode.NOT_FOUND}: no job ${event.job_id}` };
      if (claimed === 'finished') return { status: 'skipped', reason: 'finished' };
      if (claimed === 'leased-elsewhere') return { status: 'skipped', reason: 'leased-elsewhere' };
      if (claimed === 'attempts-exhausted') return await failExhausted(event);
      const uploaded: string[] = [];
      const startedAt = now();
      try {
        return await run(claimed, event, leaseOwner, uploaded);
      } catch (error) {
        if (isInfrastructureFailure(error)) return await giveBack(claimed, leaseOwner, error, uploaded);
        await deps.discardBlobs(uploaded);
        return await fail(claimed, event, leaseOwner, error, info, startedAt);
      }
    } catch (error) {
      const reason = describe(error);
      return isInfrastructureFailure(error) ? { status: 'deferred', reason } : { status: 'retry', reason };
    }
  };
}

/** The use case built by {@link createProcessPhoto}. */
export type ProcessPhoto = ReturnType<typeof createProcessPhoto>;
