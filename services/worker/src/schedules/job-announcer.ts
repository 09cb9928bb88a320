import type { DataPostgresClient, MediaFailure, MediaJob, MediaJobKind } from '@flotilla/contracts';

/**
 * How the job schedules put a job of one kind back on its way. The module that owns the kind
 * provides it: photos (media), documents (knowledge base).
 */
export interface JobAnnouncer {
  /** Publishes the event that starts the job (`media.uploaded`, `document.uploaded`) again. */
  restart(job: MediaJob): Promise<void>;
  /** Records and announces a job that used all its attempts (`media.failed`, `document.failed`). */
  exhausted(job: MediaJob, error: MediaFailure): Promise<void>;
}

/** The announcer of each kind of job the worker handles. */
export type JobAnnouncers = Readonly<Record<MediaJobKind, JobAnnouncer>>;

/** The media-job calls of data-postgres the schedules use (the typed client satisfies it). */
export type ScheduledJobStore = Pick<
  DataPostgresClient['mediaJobs'],
  'listExpiredLeases' | 'listStaleQueued' | 'requeue'
>;
