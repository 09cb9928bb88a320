import type { OutboxEvent } from '@flotilla/contracts';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

/** An outbox row the relay publishes: the stored envelope and its trace headers. */
export interface PendingEvent {
  eventId: string;
  eventType: string;
  envelope: unknown;
  headers: Record<string, string>;
  /** The envelope's `user_id`: the user whose events go out in order. */
  userId: string | null;
  attempts: number;
}

/**
 * What publishing one claimed event came to: sent; not sent (tried again in `retryInMs`); or held back
 * untried, behind an earlier event of its user that was not sent (the row is left as it was).
 */
export type RelayOutcome =
  | { sent: true }
  | { sent: false; error: string; retryInMs: number }
  | { sent: false; heldBack: true };

/** What one claim came to: events claimed, and how many of them were held back (not tried). */
export interface RelayRound {
  claimed: number;
  heldBack: number;
}

/**
 * Users of `rows` with an unsent event stored before their first claimed one: claimed by another relay
 * (so skipped by this claim), it must go out first. One index lookup per user (`outbox_pending_user_idx`).
 */
async function blockedUsers(db: Db, rows: readonly PendingEvent[]): Promise<Set<string>> {
  const firsts = new Map<string, string>();
  for (const row of rows)
    if (row.userId !== null && !firsts.has(row.userId)) firsts.set(row.userId, row.eventId);
  if (firsts.size === 0) return new Set();
  const result = await sql<{ blocked: string }>`
    SELECT head.envelope ->> 'user_id' AS blocked FROM outbox head
    WHERE head.event_id = ANY(${[...firsts.values()]}::uuid[])
      AND EXISTS (
        SELECT 1 FROM outbox earlier
        WHERE earlier.sent_at IS NULL
          AND earlier.envelope ->> 'user_id' = head.envelope ->> 'user_id'
          AND (earlier.created_at, earlier.event_id) < (head.created_at, head.event_id))`.execute(db);
  return new Set(result.rows.map((row) => row.blocked));
}

/** The pending part of the outbox, for metrics. */
export interface OutboxBacklog {
  pending: number;
  /** Age of the oldest pending event in seconds; 0 when none is pending. */
  oldestAgeSeconds: number;
}

/** The `outbox` table: events stored with their write, claimed and marked by the relay. */
export class OutboxRepository {
  constructor(private readonly db: Db) {}

  /**
   * Stores `events` through `db` (the write's transaction). An event id already stored is skipped, so a
   * retried write that reached the database before stores its events once.
   */
  async store(db: Db, events: readonly OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    await db
      .insertInto('outbox')
      .values(
        events.map((event) => ({
          eventId: event.envelope.event_id,
          eventType: event.envelope.event_type,
          envelope: JSON.stringify(event.envelope),
          headers: JSON.stringify({
            ...(event.traceparent !== undefined && { traceparent: event.traceparent }),
            ...(event.tracestate !== undefined && { tracestate: event.tracestate }),
          }),
        })),
      )
      .onConflict((conflict) => conflict.column('eventId').doNothing())
      .execute();
  }

  /**
   * Claims up to `limit` due events (oldest first) with `FOR UPDATE SKIP LOCKED`, so relays of several
   * replicas never take the same rows, hands them to `publish`, and in the same transaction marks each
   * one sent or schedules its next attempt. A user's events (the envelope's `user_id`) go out in the
   * order they were stored: an event waiting for a later attempt keeps the user's later events from
   * being claimed, and claimed events behind an earlier unsent one that another relay holds are not
   * published (held back, left as they were) until it is sent.
   */
  async relayDue(
    limit: number,
    publish: (events: PendingEvent[]) => Promise<RelayOutcome[]>,
  ): Promise<RelayRound> {
    return this.db.transaction().execute(async (trx) => {
      // As text: the CamelCasePlugin would rename the keys inside a json value (`event_id`).
      const stored = await trx
        .selectFrom('outbox')
        .select([
          'eventId',
          'eventType',
          sql<string>`envelope::text`.as('envelopeText'),
          sql<string>`headers::text`.as('headersText'),
          sql<string | null>`envelope ->> 'user_id'`.as('userId'),
          'attempts',
        ])
        .where('sentAt', 'is', null)
        .where('nextAttemptAt', '<=', sql<Date>`now()`)
        // Not behind an earlier event of the same user that waits for its next attempt.
        .where(
          sql<boolean>`NOT EXISTS (
            SELECT 1 FROM outbox earlier
            WHERE earlier.sent_at IS NULL AND earlier.next_attempt_at > now()
              AND earlier.envelope ->> 'user_id' = outbox.envelope ->> 'user_id'
              AND (earlier.created_at, earlier.event_id) < (outbox.created_at, outbox.event_id))`,
        )
        .orderBy('createdAt')
        .orderBy('eventId')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (stored.length === 0) return { claimed: 0, heldBack: 0 };
      const rows: PendingEvent[] = stored.map((row) => ({
        eventId: row.eventId,
        eventType: row.eventType,
        envelope: JSON.parse(row.envelopeText) as unknown,
        headers: JSON.parse(row.headersText) as Record<string, string>,
        userId: row.userId,
        attempts: row.attempts,
      }));
      const blocked = await blockedUsers(trx, rows);
      const publishable = rows.filter((row) => row.userId === null || !blocked.has(row.userId));
      const published = publishable.length > 0 ? await publish(publishable) : [];
      const outcomeOf = new Map(publishable.map((row, index) => [row.eventId, published[index]]));
      const outcomes = rows.map(
        (row): RelayOutcome => outcomeOf.get(row.eventId) ?? { sent: false, heldBack: true },
      );
      const sent = rows.filter((_, index) => outcomes[index]?.sent === true).map((row) => row.eventId);
      if (sent.length > 0) {
        await trx
          .updateTable('outbox')
          .set({ sentAt: sql<Date>`now()`, attempts: sql<number>`attempts + 1`, lastError: null })
          .where('eventId', 'in', sent)
          .execute();
      }
      for (const [index, row] of rows.entries()) {
        const outcome = outcomes[index];
        if (!outcome || outcome.sent || 'heldBack' in outcome) continue;
        await trx
          .updateTable('outbox')
          .set({
            attempts: sql<number>`attempts + 1`,
            nextAttemptAt: sql<Date>`now() + make_interval(secs => ${outcome.retryInMs / 1000})`,
            lastError: outcome.error.slice(0, 1024),
          })
          .where('eventId', '=', row.eventId)
          .execute();
      }
      return { claimed: rows.length, heldBack: outcomes.filter((outcome) => 'heldBack' in outcome).length };
    });
  }

  /** How many events wait, and for how long the oldest has. */
  async backlog(): Promise<OutboxBacklog> {
    const row = await this.db
      .selectFrom('outbox')
      .select([
        sql<number>`count(*)`.as('pending'),
        sql<number>`coalesce(extract(epoch from now() - min(created_at)), 0)::float8`.as('oldestAgeSeconds'),
      ])
      .where('sentAt', 'is', null)
      .executeTakeFirstOrThrow();
    return { pending: Number(row.pending), oldestAgeSeconds: Number(row.oldestAgeSeconds) };
  }

  /** Deletes up to `limit` events sent more than `olderThanSeconds` ago; returns how many. */
  async deleteSent(olderThanSeconds: number, limit: number): Promise<number> {
    const result = await sql<{ eventId: string }>`
      DELETE FROM outbox WHERE event_id IN (
        SELECT event_id FROM outbox
        WHERE sent_at IS NOT NULL AND sent_at < now() - make_interval(secs => ${olderThanSeconds})
        LIMIT ${limit})`.execute(this.db);
    return Number(result.numAffectedRows ?? 0n);
  }
}
