import { EVENT_SCHEMAS, type OutboxEvent } from '@flotilla/contracts';
import { createEventValidator, platformErrors } from '@flotilla/platform';
import type { Db } from './database.js';

/** Where the writer stores events: the outbox table, through the write's transaction. */
export interface OutboxStore {
  store(db: Db, events: readonly OutboxEvent[]): Promise<void>;
}

/** Runs a write together with the events it reports. */
export interface OutboxWriter {
  /**
   * Runs `write` and stores `events` in one transaction: both commit or neither does. Without events
   * the write runs as it is. Every event is checked against the catalogue first (422 when invalid),
   * so the relay never holds an event it cannot publish.
   */
  write<T>(events: readonly OutboxEvent[] | undefined, write: (db: Db) => Promise<T>): Promise<T>;
}

/** Creates the writer over the service's database and outbox table. */
export function createOutboxWriter(db: Db, outbox: OutboxStore): OutboxWriter {
  const validator = createEventValidator(EVENT_SCHEMAS);

  function check(events: readonly OutboxEvent[]): void {
    for (const [index, event] of events.entries()) {
      const result = validator.validate(event.envelope);
      if (!result.ok) {
        throw platformErrors.VALIDATION({
          detail: `events/${index}: ${result.reason}`,
          data: {
            errors: result.errors.map((error) => ({
              field: `/body/events/${index}/envelope${error.field === '/' ? '' : error.field}`,
              message: error.message,
            })),
          },
        });
      }
    }
  }

  return {
    async write(events, write) {
      if (!events || events.length === 0) return write(db);
      check(events);
      return db.transaction().execute(async (trx) => {
        const result = await write(trx);
        await outbox.store(trx, events);
        return result;
      });
    },
  };
}
