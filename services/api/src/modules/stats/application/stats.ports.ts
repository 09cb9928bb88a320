import type { DataMongoClient } from '@flotilla/contracts';
import type { Logger } from '@flotilla/platform';

/** The analytics aggregations of data-mongo. */
export type AnalyticsReader = Pick<
  DataMongoClient['analytics'],
  'userActivity' | 'systemActivity' | 'processingTimes' | 'savings'
>;

/** A short-lived cache of computed reports. Reads and writes fail open: a cache outage only costs time. */
export interface StatsCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

/** Shared by the stats use cases. */
export interface StatsDeps {
  analytics: AnalyticsReader;
  cache: StatsCache;
  logger: Logger;
  /** Lifetime of a cached report. */
  cacheSeconds: number;
  now?: () => Date;
}
