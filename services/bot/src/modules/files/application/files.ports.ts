import type { DataMongoClient, DataPostgresClient } from '@flotilla/contracts';

/** A user's jobs (photos and documents) in data-postgres. */
export type JobDirectory = Pick<DataPostgresClient['mediaJobs'], 'get' | 'list'>;

/** A user's activity and savings from data-mongo's analytics. */
export type ActivityReports = Pick<DataMongoClient['analytics'], 'userActivity' | 'savings'>;
