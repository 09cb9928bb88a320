import { newId } from '@flotilla/platform';
import { type Selectable, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { type KeysetPage, type Position, takePage } from '../../db/keyset.js';
import type { MediaJobsTable } from '../../db/schema.js';
import { mediaJobErrors } from './media-jobs.errors.js';

/** A stored media job. */
export type MediaJobRecord = Selectable<MediaJobsTable>;

/** What creating a job needs. */
export interface NewMediaJob {
  id?: string;
  ownerId: string;
  kind: MediaJobRecord['kind'];
  source?: MediaJobRecord['source'];
  maxAttempts?: number;
  original: { blobId: string; filename: string; contentType: string; sizeBytes: number };
}

/** What processing produced; every field optional. */
export interface MediaJobOutcome {
  blobId?: string;
  contentType?: string;
  sizeBytes?: number;
  width?: number;
  height?: number;
  originalWidth?: number;
  originalHeight?: number;
  thumbnailBlobId?: string;
  thumbnailSizeBytes?: number;
  bytesSaved?: number;
}

/** An error recorded on a job. */
export interface JobFailure {
  code: string;
  message: string;
}

/** Filters of {@link MediaJobsRepository.list}. */
export interface MediaJobFilter {
  ownerId?: string;
  status?: MediaJobRecord['status'];
  kind?: MediaJobRecord['kind'];
  limit: number;
  after?: Position;
}

const LEASE_EXPIRED: JobFailure = {
  code: 'JOB.LEASE_EXPIRED',
  message: 'The lease expired before the job finished',
};

const now = () => sql<Date>`date_trunc('milliseconds', now())`;
const inSeconds = (seconds: number) =>
  sql<Date>`date_trunc('milliseconds', now()) + make_interval(secs => ${seconds})`;

/**
 * Media jobs and their state machine, in PostgreSQL. Every transition is one conditional UPDATE, so
 * concurrent callers cannot both win; when it changes no row, the job is read again only to say why.
 */
export class MediaJobsRepository {
  constructor(private readonly db: Db) {}

  /** The same repository over another handle (a transaction). */
  on(db: Db): MediaJobsRepository {
    return new MediaJobsRepository(db);
  }

  create(input: NewMediaJob): Promise<MediaJobRecord> {
    return this.db
      .insertInto('mediaJobs')
      .values({
        id: input.id ?? newId(),
        ownerId: input.ownerId,
        kind: input.kind,
        ...(input.source !== undefined && { source: input.source }),
        ...(input.maxAttempts !== undefined && { maxAttempts: input.maxAttempts }),
        originalBlobId: input.original.blobId,
        originalFilename: input.original.filename,
        originalContentType: input.original.contentType,
        originalSizeBytes: input.original.sizeBytes,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  findById(id: string): Promise<MediaJobRecord | undefined> {
    return this.db.selectFrom('mediaJobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Deletes a job (a document made from it keeps its row, with `source_job_id` set to null). */
  async delete(id: string): Promise<void> {
    const result = await this.db.deleteFrom('mediaJobs').where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw mediaJobErrors.NOT_FOUND();
  }

  /** Newest first, keyset-paginated on `(created_at, id)`. */
  async list(filter: MediaJobFilter): Promise<KeysetPage<MediaJobRecord>> {
    const { ownerId, status, kind, after } = filter;
    let query = this.db.selectFrom('mediaJobs').selectAll();
    if (ownerId) query = query.where('ownerId', '=', ownerId);
    if (status) query = query.where('status', '=', status);
    if (kind) query = query.where('kind', '=', kind);
    if (after) {
      query = query.where((eb) =>
        eb(eb.refTuple('createdAt', 'id'), '<', eb.tuple(after.createdAt, after.id)),
      );
    }
    const rows = await query
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit + 1)
      .execute();
    return takePage(rows, filter.limit);
  }

  /**
   * `queued` (or `processing` with an expired lease) -> `processing` under a new lease, attempts + 1.
   * Exactly one of concurrent claimers gets the row back.
   */
  async claim(id: string, leaseOwner: string, leaseSeconds: number): Promise<MediaJobRecord> {
    const row = await this.db
      .updateTable('mediaJobs')
      .set({
        status: 'processing',
        leaseOwner,
        leaseExpiresAt: inSeconds(leaseSeconds),
        attempts: sql<number>`attempts + 1`,
        progress: 0,
        startedAt: now(),
        finishedAt: null,
        updatedAt: now(),
      })
      .where('id', '=', id)
      .where(sql<boolean>`attempts < max_attempts`)
      .where((eb) =>
        eb.or([
          eb('status', '=', 'queued'),
          eb.and([eb('status', '=', 'processing'), eb('leaseExpiresAt', '<', sql<Date>`now()`)]),
        ]),
      )
      .returningAll()
      .executeTakeFirst();
    if (row) return row;
    const job = await this.require(id);
    if (job.status === 'succeeded' || job.status === 'failed') throw illegal(job, 'claim');
    if (job.attempts >= job.maxAttempts) {
      throw mediaJobErrors.ATTEMPTS_EXHAUSTED({
        detail: `The job used ${job.attempts} of ${job.maxAttempts} attempts`,
        data: { attempts: job.attempts, max_attempts: job.maxAttempts },
      });
    }
    throw mediaJobErrors.ALREADY_LEASED({ detail: 'Another worker holds an unexpired lease on this job' });
  }

  /** Records progress (and optionally extends the lease); only the current lease owner may. */
  async progress(
    id: string,
    leaseOwner: string,
    progress: number,
    leaseSeconds?: number,
  ): Promise<MediaJobRecord> {
    const row = await this.ownedUpdate(id, leaseOwner)
      .set({
        progress,
        ...(leaseSeconds !== undefined && { leaseExpiresAt: inSeconds(leaseSeconds) }),
        updatedAt: now(),
      })
      .returningAll()
      .executeTakeFirst();
    return row ?? this.leaseLost(id);
  }

  /** `processing` -> `succeeded`, with what processing produced; only the current lease owner may. */
  async complete(id: string, leaseOwner: string, outcome: MediaJobOutcome = {}): Promise<MediaJobRecord> {
    const row = await this.ownedUpdate(id, leaseOwner)
      .set({
        status: 'succeeded',
        progress: 100,
        leaseOwner: null,
        leaseExpiresAt: null,
        resultBlobId: outcome.blobId ?? null,
        resultContentType: outcome.contentType ?? null,
        resultSizeBytes: outcome.sizeBytes ?? null,
        resultWidth: outcome.width ?? null,
        resultHeight: outcome.height ?? null,
        originalWidth: outcome.originalWidth ?? null,
        originalHeight: outcome.originalHeight ?? null,
        thumbnailBlobId: outcome.thumbnailBlobId ?? null,
        thumbnailSizeBytes: outcome.thumbnailSizeBytes ?? null,
        bytesSaved: outcome.bytesSaved ?? null,
        errorCode: null,
        errorMessage: null,
        finishedAt: now(),
        updatedAt: now(),
      })
      .returningAll()
      .executeTakeFirst();
    return row ?? this.leaseLost(id);
  }

  /**
   * `processing` -> `queued` when `retryable` and attempts remain, else `failed`; only the current
   * lease owner may. The error is recorded either way.
   */
  async fail(
    id: string,
    leaseOwner: string,
    failure: JobFailure,
    retryable: boolean,
  ): Promise<MediaJobRecord> {
    const retry = sql<boolean>`(${retryable} AND attempts < max_attempts)`;
    const row = await this.ownedUpdate(id, leaseOwner)
      .set({
        status: sql`CASE WHEN ${retry} THEN 'queued' ELSE 'failed' END`,
        leaseOwner: null,
        leaseExpiresAt: null,
        errorCode: failure.code,
        errorMessage: failure.message,
        finishedAt: sql`CASE WHEN ${retry} THEN NULL ELSE date_trunc('milliseconds', now()) END`,
        updatedAt: now(),
      })
      .returningAll()
      .executeTakeFirst();
    return row ?? this.leaseLost(id);
  }

  /**
   * `processing` -> `queued` without counting the attempt: the claim's attempt is given back, because
   * what stopped it was the infrastructure (a data service or the broker), not the job. Only the
   * current lease owner may. The reason, when given, is recorded as the last error.
   */
  async release(id: string, leaseOwner: string, reason?: JobFailure): Promise<MediaJobRecord> {
    const row = await this.ownedUpdate(id, leaseOwner)
      .set({
        status: 'queued',
        attempts: sql<number>`GREATEST(attempts - 1, 0)`,
        leaseOwner: null,
        leaseExpiresAt: null,
        progress: 0,
        ...(reason && { errorCode: reason.code, errorMessage: reason.message }),
        finishedAt: null,
        updatedAt: now(),
      })
      .returningAll()
      .executeTakeFirst();
    return row ?? this.leaseLost(id);
  }

  /**
   * Puts a job back in the queue: a `processing` job whose lease expired (or `failed` if its attempts
   * are used up), or a `failed` job (a manual retry, attempts from 0).
   */
  async requeue(id: string, failure?: JobFailure): Promise<MediaJobRecord> {
    const exhausted = sql<boolean>`(status = 'processing' AND attempts >= max_attempts)`;
    const recorded = failure ?? LEASE_EXPIRED;
    const row = await this.db
      .updateTable('mediaJobs')
      .set({
        status: sql`CASE WHEN ${exhausted} THEN 'failed' ELSE 'queued' END`,
        attempts: sql<number>`CASE WHEN status = 'failed' THEN 0 ELSE attempts END`,
        leaseOwner: null,
        leaseExpiresAt: null,
        progress: 0,
        errorCode: failure
          ? failure.code
          : sql`CASE WHEN status = 'failed' THEN NULL ELSE ${recorded.code} END`,
        errorMessage: failure
          ? failure.message
          : sql`CASE WHEN status = 'failed' THEN NULL ELSE ${recorded.message} END`,
        finishedAt: sql`CASE WHEN ${exhausted} THEN date_trunc('milliseconds', now()) ELSE NULL END`,
        updatedAt: now(),
      })
      .where('id', '=', id)
      .where((eb) =>
        eb.or([
          eb('status', '=', 'failed'),
          eb.and([eb('status', '=', 'processing'), eb('leaseExpiresAt', '<', sql<Date>`now()`)]),
        ]),
      )
      .returningAll()
      .executeTakeFirst();
    if (row) return row;
    const job = await this.require(id);
    if (job.status === 'processing') {
      throw mediaJobErrors.LEASE_ACTIVE({
        detail: 'The lease has not expired; the job is still being worked on',
      });
    }
    throw illegal(job, 'requeue');
  }

  /** Jobs in `processing` whose lease has expired, the longest-expired first. */
  listExpiredLeases(limit: number): Promise<MediaJobRecord[]> {
    return this.db
      .selectFrom('mediaJobs')
      .selectAll()
      .where('status', '=', 'processing')
      .where('leaseExpiresAt', '<', sql<Date>`now()`)
      .orderBy('leaseExpiresAt', 'asc')
      .limit(limit)
      .execute();
  }

  /** Jobs `queued` for longer than `olderThanSeconds` (lost publishes), the oldest first. */
  listStaleQueued(olderThanSeconds: number, limit: number): Promise<MediaJobRecord[]> {
    return this.db
      .selectFrom('mediaJobs')
      .selectAll()
      .where('status', '=', 'queued')
      .where('updatedAt', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
      .orderBy('updatedAt', 'asc')
      .limit(limit)
      .execute();
  }

  /** Jobs `succeeded` or `failed` that finished more than `olderThanSeconds` ago, the oldest first. */
  listFinished(olderThanSeconds: number, limit: number): Promise<MediaJobRecord[]> {
    return this.db
      .selectFrom('mediaJobs')
      .selectAll()
      .where('status', 'in', ['succeeded', 'failed'])
      .where('finishedAt', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
      .orderBy('finishedAt', 'asc')
      .limit(limit)
      .execute();
  }

  /**
   * The ids among `blobIds` that some job references as its original, result or thumbnail. Three
   * separate lookups, so each can use an index on its column when there is one.
   */
  async referencedBlobIds(blobIds: readonly string[]): Promise<string[]> {
    const ids = [...new Set(blobIds)];
    const [originals, results, thumbnails] = await Promise.all([
      this.db
        .selectFrom('mediaJobs')
        .select('originalBlobId as id')
        .where('originalBlobId', 'in', ids)
        .execute(),
      this.db.selectFrom('mediaJobs').select('resultBlobId as id').where('resultBlobId', 'in', ids).execute(),
      this.db
        .selectFrom('mediaJobs')
        .select('thumbnailBlobId as id')
        .where('thumbnailBlobId', 'in', ids)
        .execute(),
    ]);
    const referenced = new Set<string>();
    for (const row of [...originals, ...results, ...thumbnails]) if (row.id) referenced.add(row.id);
    return [...referenced];
  }

  private ownedUpdate(id: string, leaseOwner: string) {
    return this.db
      .updateTable('mediaJobs')
      .where('id', '=', id)
      .where('status', '=', 'processing')
      .where('leaseOwner', '=', leaseOwner);
  }

  private async leaseLost(id: string): Promise<never> {
    const job = await this.require(id);
    throw mediaJobErrors.LEASE_LOST({
      detail:
        job.status === 'processing'
          ? 'The job is leased to another owner'
          : `The job is ${job.status}; its lease was released`,
      data: { job_status: job.status },
    });
  }

  private async require(id: string): Promise<MediaJobRecord> {
    const job = await this.findById(id);
    if (!job) throw mediaJobErrors.NOT_FOUND();
    return job;
  }
}

function illegal(job: MediaJobRecord, transition: string) {
  return mediaJobErrors.ILLEGAL_TRANSITION({
    detail: `Cannot ${transition} a job that is ${job.status}`,
    data: { job_status: job.status },
  });
}
