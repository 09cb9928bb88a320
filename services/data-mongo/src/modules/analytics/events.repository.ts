import type { AnalyticsEvent } from '@flotilla/contracts';
import { type Db, type Filter, MongoBulkWriteError } from 'mongodb';
import { ensureIndexes } from '../../db/indexes.js';
import type { MongoTimer } from '../../db/mongo-timer.js';
import { SERVER_ERROR } from '../../db/server-errors.js';
import { analyticsErrors } from './analytics.errors.js';
import {
  EVENTS_COLLECTION,
  type EventDocument,
  toAnalyticsEvent,
  toEventDocument,
} from './event-document.js';
import { type TimeRange, toOccurredAtFilter } from './time-range.js';

/** Which events a query returns. */
export interface EventFilter extends TimeRange {
  userId?: string;
  eventTypes?: readonly string[];
}

/** A position in the newest-first order of events (keyset pagination). */
export interface EventPosition {
  occurredAt: Date;
  id: string;
}

/** How an ingest went: events newly recorded, and events already recorded before (same id). */
export interface InsertOutcome {
  inserted: number;
  duplicates: number;
}

/** Stores and reads analytics events. Returns plain data, never driver types. */
export interface EventsRepository {
  ensureIndexes(): Promise<void>;
  /** Records events, unordered and idempotently: an event whose id is already stored is counted, not failed. */
  insert(events: readonly AnalyticsEvent[], receivedAt?: Date): Promise<InsertOutcome>;
  /** Events newest first, after `after` when given; `next` is the position to continue from, if any. */
  findPage(
    filter: EventFilter,
    limit: number,
    after?: EventPosition,
  ): Promise<{ items: AnalyticsEvent[]; next: EventPosition | undefined }>;
  /** Deletes events that occurred before `cutoff`; returns how many. */
  deleteOlderThan(cutoff: Date): Promise<number>;
}

/** Creates the events repository on the `analytics_events` collection. */
export function createEventsRepository(db: Db, timeMongo: MongoTimer): EventsRepository {
  const events = db.collection<EventDocument>(EVENTS_COLLECTION);

  return {
    async ensureIndexes() {
      await ensureIndexes(events, [
        { key: { user_id: 1, occurred_at: -1, _id: -1 }, name: 'user_occurred' },
        { key: { event_type: 1, occurred_at: -1 }, name: 'type_occurred' },
        { key: { event_type: 1, 'data.kind': 1, 'data.duration_ms': 1 }, name: 'type_kind_duration' },
      ]);
    },

    async insert(batch, receivedAt = new Date()) {
      const documents = batch.map((event) => toEventDocument(event, receivedAt));
      try {
        const result = await timeMongo('events.insert', () =>
          events.insertMany(documents, { ordered: false }),
        );
        return { inserted: result.insertedCount, duplicates: 0 };
      } catch (error) {
        if (!(error instanceof MongoBulkWriteError)) throw error;
        const writeErrors = [error.writeErrors].flat();
        const refused = writeErrors.filter((writeError) => writeError.code !== SERVER_ERROR.DUPLICATE_KEY);
        if (refused.length === 0)
          return { inserted: error.result.insertedCount, duplicates: writeErrors.length };
        // A value the store cannot keep is the caller's to change (the checks before the insert name the
        // ones known); anything else is a real failure, and the caller retries the batch, which is idempotent.
        if (!refused.every((writeError) => writeError.code === SERVER_ERROR.BAD_VALUE)) throw error;
        throw analyticsErrors.INVALID_EVENT({
          detail: `The store refused ${refused.length} of ${batch.length} events; the others are recorded (sent again, they count as duplicates)`,
          data: {
            errors: refused.map((writeError) => ({
              field: `/body/${writeError.index}/data`,
              message: `cannot be stored: ${writeError.errmsg?.slice(0, 200) ?? 'refused by the store'}`,
            })),
          },
        });
      }
    },

    async findPage(filter, limit, after) {
      const query: Filter<EventDocument> = { ...toOccurredAtFilter(filter) };
      if (filter.userId !== undefined) query.user_id = filter.userId;
      if (filter.eventTypes?.length) query.event_type = { $in: [...filter.eventTypes] };
      if (after) {
        query.$or = [
          { occurred_at: { $lt: after.occurredAt } },
          { occurred_at: after.occurredAt, _id: { $lt: after.id } },
        ];
      }
      const documents = await timeMongo('events.find', () =>
        events
          .find(query)
          .sort({ occurred_at: -1, _id: -1 })
          .limit(limit + 1)
          .toArray(),
      );
      const page = documents.slice(0, limit);
      const last = page.at(-1);
      const next =
        documents.length > limit && last ? { occurredAt: last.occurred_at, id: last._id } : undefined;
      return { items: page.map(toAnalyticsEvent), next };
    },

    async deleteOlderThan(cutoff) {
      const result = await timeMongo('events.purge', () =>
        events.deleteMany({ occurred_at: { $lt: cutoff } }),
      );
      return result.deletedCount;
    },
  };
}
