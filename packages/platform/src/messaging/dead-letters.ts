import type { ChannelModel, ConfirmChannel, GetMessage } from 'amqplib';
import { newId } from '../ids/uuid.js';
import { publishConfirmed, trackReturns } from './confirmed-publish.js';
import { BROKER_DEATH_HEADERS, DEAD_LETTER_HEADERS } from './message-forwarding.js';
import { ATTEMPT_HEADER } from './publisher.js';
import { deadLetterQueueName, workQueueOf } from './topology.js';

/** A message in a dead-letter queue, as the tools show it. */
export interface DeadLetter {
  /** `message_id` (= `event_id` for events). */
  messageId: string | undefined;
  /** `type` (= `event_type`). */
  eventType: string | undefined;
  /** The work queue it came from. */
  queue: string;
  /** The attempt that failed last. */
  attempt: number | undefined;
  /** Why it was dead-lettered (`x-dead-letter-reason`, or the broker's own reason). */
  reason: string | undefined;
  /** `invalid`, `rejected`, `retries_exhausted`, or the broker's reason (`delivery_limit`, ...). */
  reasonKind: string | undefined;
  /** When it was dead-lettered (ISO-8601), when known. */
  deadLetteredAt: string | undefined;
  /** The AMQP headers. */
  headers: Record<string, unknown>;
  /** The body: parsed JSON when it is JSON, else the text (at most 4096 characters). */
  body: unknown;
  /** Body size in bytes. */
  size: number;
}

/** Outcome of {@link replayDeadLetters}. */
export interface ReplayResult {
  /** Messages published back to the work queue (and removed from the dead-letter queue). */
  replayed: number;
  /** Ids asked for but not found. */
  missing: string[];
}

/** Most messages a tool looks at in one call (they are held unacked meanwhile). */
export const DEAD_LETTER_SCAN_LIMIT = 10_000;

const CONFIRM_TIMEOUT_MS = 10_000;
const MAX_TEXT_BODY = 4096;

function describe(message: GetMessage, queue: string): DeadLetter {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const deaths = Array.isArray(headers['x-death'])
    ? (headers['x-death'] as Array<Record<string, unknown>>)
    : [];
  const death = deaths[0];
  const text = message.content.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text.length > MAX_TEXT_BODY ? `${text.slice(0, MAX_TEXT_BODY)}…` : text;
  }
  const attempt = Number(headers[ATTEMPT_HEADER]);
  const reason = headers[DEAD_LETTER_HEADERS.reason] ?? headers[DEAD_LETTER_HEADERS.lastError];
  const deathTime = death?.time;
  return {
    messageId: message.properties.messageId as string | undefined,
    eventType: message.properties.type as string | undefined,
    queue,
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : undefined,
    reason: typeof reason === 'string' ? reason : (death?.reason as string | undefined),
    reasonKind:
      (headers[DEAD_LETTER_HEADERS.reasonKind] as string | undefined) ??
      (death?.reason as string | undefined),
    deadLetteredAt:
      (headers[DEAD_LETTER_HEADERS.at] as string | undefined) ??
      (typeof deathTime === 'number' ? new Date(deathTime * 1000).toISOString() : undefined),
    headers,
    body,
    size: message.content.length,
  };
}

/** Longest wait for the messages a scan put back to be ready again (see {@link scan}). */
const RETURN_WAIT_MS = 3000;

/**
 * Takes up to `limit` messages from `queue` without removing them, calls `visit` with each, then
 * puts back every message `visit` did not settle. Messages are held unacknowledged meanwhile, so
 * a crash of the tool returns them to the queue. A quorum queue makes returned messages ready again a
 * moment after the return: the scan waits for that (up to RETURN_WAIT_MS), so a tool run right after
 * another (`show`, then `replay`) sees every message and does not report one missing.
 */
async function scan(
  connection: ChannelModel,
  queue: string,
  limit: number,
  visit: (channel: ConfirmChannel, message: GetMessage) => Promise<{ settled: boolean; stop?: boolean }>,
): Promise<void> {
  const channel = await connection.createConfirmChannel();
  trackReturns(channel);
  channel.on('error', () => undefined);
  const held: GetMessage[] = [];
  let readyBefore = 0;
  let settled = 0;
  try {
    const { messageCount } = await channel.checkQueue(queue);
    readyBefore = messageCount;
    const bound = Math.min(messageCount, limit, DEAD_LETTER_SCAN_LIMIT);
    for (let index = 0; index < bound; index++) {
      const message = await channel.get(queue, { noAck: false });
      if (message === false) break;
      const verdict = await visit(channel, message);
      if (verdict.settled) settled++;
      else held.push(message);
      if (verdict.stop) break;
    }
  } finally {
    let returned = held.length > 0;
    for (const message of held) {
      try {
        channel.nack(message, false, true);
      } catch {
        returned = false; // channel gone: the broker requeues them
      }
    }
    if (returned) await readyAgain(channel, queue, readyBefore - settled);
    await channel.close().catch(() => undefined);
  }
}

/** Waits until `queue` holds at least `count` ready messages, or RETURN_WAIT_MS passed (others may take some). */
async function readyAgain(channel: ConfirmChannel, queue: string, count: number): Promise<void> {
  const deadline = Date.now() + RETURN_WAIT_MS;
  for (;;) {
    const ready = await channel.checkQueue(queue).then(
      (ok) => ok.messageCount,
      () => count,
    );
    if (ready >= count || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Up to `limit` dead letters of a queue (give the work queue or its `.dlq`), oldest first; nothing is removed. */
export async function listDeadLetters(
  connection: ChannelModel,
  queue: string,
  limit = 20,
): Promise<DeadLetter[]> {
  const dlq = deadLetterQueueName(workQueueOf(queue));
  const letters: DeadLetter[] = [];
  await scan(connection, dlq, limit, async (_channel, message) => {
    letters.push(describe(message, workQueueOf(queue)));
    return { settled: false };
  });
  return letters;
}

/** The dead letter with this message id (= event id), or `undefined`; nothing is removed. */
export async function showDeadLetter(
  connection: ChannelModel,
  queue: string,
  messageId: string,
): Promise<DeadLetter | undefined> {
  const dlq = deadLetterQueueName(workQueueOf(queue));
  let found: DeadLetter | undefined;
  await scan(connection, dlq, DEAD_LETTER_SCAN_LIMIT, async (_channel, message) => {
    if (message.properties.messageId !== messageId) return { settled: false };
    found = describe(message, workQueueOf(queue));
    return { settled: false, stop: true };
  });
  return found;
}

/**
 * Publishes dead letters back to their work queue (all of them, or those whose message id is in
 * `ids`) with the attempt count reset to 1 and the dead-letter headers removed; each one is removed
 * from the dead-letter queue only after the broker confirmed its copy.
 */
export async function replayDeadLetters(
  connection: ChannelModel,
  queue: string,
  options: { ids?: readonly string[]; limit?: number } = {},
): Promise<ReplayResult> {
  const work = workQueueOf(queue);
  const wanted = options.ids ? new Set(options.ids) : undefined;
  const found = new Set<string>();
  let replayed = 0;
  await scan(
    connection,
    deadLetterQueueName(work),
    options.limit ?? DEAD_LETTER_SCAN_LIMIT,
    async (channel, message) => {
      const id = message.properties.messageId as string | undefined;
      if (wanted && (id === undefined || !wanted.has(id))) return { settled: false };
      const headers: Record<string, unknown> = { ...(message.properties.headers ?? {}) };
      for (const name of [...Object.values(DEAD_LETTER_HEADERS), ...BROKER_DEATH_HEADERS])
        delete headers[name];
      headers[ATTEMPT_HEADER] = 1;
      headers['x-replayed-at'] = new Date().toISOString();
      const { properties } = message;
      await publishConfirmed(
        channel,
        '',
        work,
        message.content,
        {
          persistent: true,
          messageId: id ?? newId(),
          headers,
          ...(properties.contentType ? { contentType: properties.contentType as string } : {}),
          ...(properties.contentEncoding ? { contentEncoding: properties.contentEncoding as string } : {}),
          ...(properties.type ? { type: properties.type as string } : {}),
          ...(properties.appId ? { appId: properties.appId as string } : {}),
          ...(properties.timestamp ? { timestamp: properties.timestamp as number } : {}),
        },
        CONFIRM_TIMEOUT_MS,
      );
      channel.ack(message);
      replayed++;
      if (id !== undefined) found.add(id);
      return { settled: true, stop: wanted !== undefined && found.size === wanted.size };
    },
  );
  const missing = wanted ? [...wanted].filter((id) => !found.has(id)) : [];
  return { replayed, missing };
}

/** Deletes every message of the dead-letter queue; returns how many there were. */
export async function purgeDeadLetters(connection: ChannelModel, queue: string): Promise<number> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    const { messageCount } = await channel.purgeQueue(deadLetterQueueName(workQueueOf(queue)));
    return messageCount;
  } finally {
    await channel.close().catch(() => undefined);
  }
}
