import {
  type EventEnvelope,
  isDomainError,
  type Logger,
  type Messaging,
  messagingErrors,
} from '@flotilla/platform';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { OutboxRepository, PendingEvent, RelayOutcome } from './outbox.repository.js';

/** Options of {@link createOutboxRelay}. */
export interface OutboxRelayOptions {
  repository: OutboxRepository;
  messaging: Pick<Messaging, 'publishEnvelope' | 'isConnected'>;
  logger: Logger;
  registry: Registry;
  /** Events claimed per transaction. */
  batchSize: number;
  /** Longest sleep between two looks at the outbox when nothing woke the relay. */
  pollMs: number;
  /** Sent events are deleted this long after they were sent. */
  retentionSeconds: number;
}

/** Publishes the outbox; see {@link createOutboxRelay}. */
export interface OutboxRelay {
  /** Starts the loop (once). */
  start(): void;
  /** Looks at the outbox now (new rows were committed). */
  wake(): void;
  /** Stops the loop after the batch in hand; resolves when it has stopped. */
  stop(): Promise<void>;
}

const CONNECTED_CHECK_MS = 100;
const MAX_RETRY_MS = 60_000;
const RETENTION_EVERY_MS = 60_000;

/**
 * The outbox relay: claims due events in batches (`FOR UPDATE SKIP LOCKED`, so several data-postgres
 * replicas share the work), publishes each with publisher confirms, and marks it sent in the same
 * transaction. The loop
 * 1. sleeps until woken (a commit that stored events NOTIFYs) or `pollMs` passed;
 * 2. while the broker is down, claims nothing and looks again every 100 ms, so the backlog flushes as
 *    soon as the connection is back (writes go on meanwhile: events wait in the table);
 * 3. on a publish that failed for lack of a connection, leaves the event due at once; on any other
 *    failure (unroutable, rejected) retries it with exponential backoff up to a minute;
 * 4. on a database failure, backs off (up to 5 s) and tries again.
 * A user's events (the envelope's `user_id`) go out in the order they were stored: within a batch they
 * are published one after the other, each once the previous one is confirmed, and after one that was
 * not sent the rest wait, untried, with the events stored after them; events behind one that another
 * replica's relay holds wait for it (see {@link OutboxRepository.relayDue}). Events of different users
 * are published at once, pipelined on the one confirm channel. A crash between the publish and the
 * commit publishes the event again later: consumers are idempotent by event id. Sent events are deleted
 * after `retentionSeconds`.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { repository, messaging, logger, batchSize } = options;
  const published = new Counter({
    name: 'outbox_published_total',
    help: 'Outbox events published with a broker confirm (ok) or left for a later attempt (retry).',
    labelNames: ['result'] as const,
    registers: [options.registry],
  });
  registerBacklogGauges(options.registry, repository, logger);
  let stopped = false;
  let loop: Promise<void> | undefined;
  let retention: NodeJS.Timeout | undefined;
  let wakeUp: (() => void) | undefined;
  let woken = false;

  function pause(ms: number): Promise<void> {
    if (woken || stopped) {
      woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        woken = false;
        resolve();
      }
      wakeUp = done;
    });
  }

  async function publishOne(event: PendingEvent): Promise<RelayOutcome> {
    try {
      await messaging.publishEnvelope(event.envelope as EventEnvelope, event.headers);
      published.inc({ result: 'ok' });
      return { sent: true };
    } catch (error) {
      published.inc({ result: 'retry' });
      const message = error instanceof Error ? error.message : String(error);
      const connectionLost =
        isDomainError(error, messagingErrors.NOT_CONNECTED.definition.code) ||
        isDomainError(error, messagingErrors.CLOSED.definition.code);
      logger.warn(
        { err: error, event_id: event.eventId, event_type: event.eventType },
        'outbox event not published yet',
      );
      return {
        sent: false,
        error: message,
        retryInMs: connectionLost ? 0 : Math.min(MAX_RETRY_MS, 1000 * 2 ** Math.min(event.attempts, 16)),
      };
    }
  }

  /** Publishes a claimed batch: each user's events in order, different users' at once. */
  async function publishBatch(events: readonly PendingEvent[]): Promise<RelayOutcome[]> {
    const outcomes: RelayOutcome[] = [];
    const byUser = new Map<string, number[]>();
    for (const [index, event] of events.entries()) {
      const key = event.userId === null ? `event:${event.eventId}` : `user:${event.userId}`;
      const chain = byUser.get(key);
      if (chain) chain.push(index);
      else byUser.set(key, [index]);
    }
    await Promise.all(
      [...byUser.values()].map(async (indexes) => {
        let blocked = false;
        for (const index of indexes) {
          if (blocked) {
            outcomes[index] = { sent: false, heldBack: true };
            continue;
          }
          const outcome = await publishOne(events[index] as PendingEvent);
          outcomes[index] = outcome;
          blocked = !outcome.sent;
        }
      }),
    );
    return outcomes;
  }

  async function run(): Promise<void> {
    let dbFailures = 0;
    while (!stopped) {
      if (!messaging.isConnected()) {
        await pause(CONNECTED_CHECK_MS);
        continue;
      }
      try {
        const round = await repository.relayDue(batchSize, publishBatch);
        dbFailures = 0;
        // A full batch: more may wait. Events held back behind another relay's: look again shortly.
        if (round.claimed === batchSize && round.heldBack < round.claimed) continue;
        if (round.heldBack > 0) {
          await pause(CONNECTED_CHECK_MS);
          continue;
        }
      } catch (error) {
        dbFailures += 1;
        logger.warn({ err: error }, 'outbox relay could not read the outbox');
        await pause(Math.min(5000, 250 * 2 ** Math.min(dbFailures, 5)));
        continue;
      }
      await pause(options.pollMs);
    }
  }

  async function cleanUp(): Promise<void> {
    try {
      const deleted = await repository.deleteSent(options.retentionSeconds, 5000);
      if (deleted > 0) logger.info({ deleted }, 'outbox: sent events past retention deleted');
    } catch (error) {
      logger.warn({ err: error }, 'outbox retention clean-up failed');
    }
  }

  return {
    start() {
      if (loop) return;
      loop = run();
      retention = setInterval(() => void cleanUp(), RETENTION_EVERY_MS);
      retention.unref();
    },
    wake() {
      woken = true;
      wakeUp?.();
    },
    async stop() {
      stopped = true;
      clearInterval(retention);
      wakeUp?.();
      await loop;
    },
  };
}

/** `outbox_pending_events` and `outbox_oldest_pending_age_seconds`, read from the table at scrape time. */
function registerBacklogGauges(registry: Registry, repository: OutboxRepository, logger: Logger): void {
  let reading: Promise<{ pending: number; oldestAgeSeconds: number } | undefined> | undefined;
  // One query per scrape serves both gauges.
  const read = () => {
    reading ??= repository
      .backlog()
      .catch((error: unknown) => {
        logger.debug({ err: error }, 'outbox backlog not readable');
        return undefined;
      })
      .finally(() => setTimeout(() => (reading = undefined), 0));
    return reading;
  };
  new Gauge({
    name: 'outbox_pending_events',
    help: 'Events stored in the outbox and not yet published.',
    registers: [registry],
    async collect() {
      const backlog = await read();
      if (backlog) this.set(backlog.pending);
    },
  });
  new Gauge({
    name: 'outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest event not yet published (0 when none waits).',
    registers: [registry],
    async collect() {
      const backlog = await read();
      if (backlog) this.set(backlog.oldestAgeSeconds);
    },
  });
}
