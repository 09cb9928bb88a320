import { CONSUMER_QUEUE_LIST } from '@flotilla/contracts';
import {
  type DeadLetter,
  defineErrors,
  type HttpApp,
  listDeadLetters,
  type Messaging,
  purgeDeadLetters,
  replayDeadLetters,
  showDeadLetter,
  workQueueName,
} from '@flotilla/platform';
import { Type } from 'typebox';
import { bearerSecurity, requireAdmin } from '../../http/auth.js';
import { authedProblemResponses } from '../../http/problem-responses.js';
import {
  DeadLetterSchema,
  type DeadLetterWire,
  ListDeadLettersQuerySchema,
  MessageParamsSchema,
  PurgeResultSchema,
  QueueParamsSchema,
  ReplayBodySchema,
  ReplayResultSchema,
} from './dead-letters.schemas.js';

/** Errors of the dead-letter admin routes. */
export const deadLetterErrors = defineErrors({
  NOT_FOUND: { code: 'DEAD_LETTER.NOT_FOUND', kind: 'not_found', title: 'No such dead letter' },
  BROKER_UNAVAILABLE: {
    code: 'DEAD_LETTER.BROKER_UNAVAILABLE',
    kind: 'unavailable',
    title: 'RabbitMQ is not connected',
  },
});

/** The public names (`q.<consumer>.<purpose>`) of the consumer queues whose dead letters an admin manages. */
export const DEAD_LETTER_QUEUES = [
  ...new Set(CONSUMER_QUEUE_LIST.map((queue) => `q.${queue.consumer}.${queue.purpose}`)),
];

function toWire(letter: DeadLetter, queue: string): DeadLetterWire {
  return {
    message_id: letter.messageId ?? null,
    event_type: letter.eventType ?? null,
    queue,
    attempt: letter.attempt ?? null,
    reason: letter.reason ?? null,
    reason_kind: letter.reasonKind ?? null,
    dead_lettered_at: letter.deadLetteredAt ?? null,
    size: letter.size,
    headers: letter.headers,
    body: letter.body,
  };
}

const tags = ['admin'];
const security = bearerSecurity;

/**
 * `/admin/dead-letters/:queue`: list, show, replay and purge dead letters, as `npm run dlq` does.
 * Admin only; `:queue` must be one of the known consumer queues.
 */
export function registerDeadLetterRoutes(app: HttpApp, messaging: Messaging, queuePrefix = ''): void {
  const names = { exchange: 'events', deadLetterExchange: 'events.dlx', queuePrefix };
  const actual = (queue: string) => {
    const [, consumer = '', purpose = ''] = queue.split('.');
    return workQueueName(names, consumer, purpose);
  };
  const connection = (): NonNullable<ReturnType<Messaging['connection']>> => {
    const current = messaging.connection();
    if (!current) throw deadLetterErrors.BROKER_UNAVAILABLE();
    return current;
  };
  const QueueParams = QueueParamsSchema(DEAD_LETTER_QUEUES);

  app.get(
    '/admin/dead-letters/:queue',
    {
      preHandler: requireAdmin,
      schema: {
        tags,
        security,
        summary: 'List the dead letters of a queue (nothing is removed) (admin)',
        params: QueueParams,
        querystring: ListDeadLettersQuerySchema,
        response: {
          200: Type.Object({ items: Type.Array(DeadLetterSchema) }),
          ...authedProblemResponses(403, 503),
        },
      },
    },
    async (request) => {
      const { queue } = request.params;
      const letters = await listDeadLetters(connection(), actual(queue), request.query.limit ?? 20);
      return { items: letters.map((letter) => toWire(letter, queue)) };
    },
  );

  app.get(
    '/admin/dead-letters/:queue/:message_id',
    {
      preHandler: requireAdmin,
      schema: {
        tags,
        security,
        summary: 'Show one dead letter by message id (= event id) (admin)',
        params: MessageParamsSchema(DEAD_LETTER_QUEUES),
        response: { 200: DeadLetterSchema, ...authedProblemResponses(403, 404, 503) },
      },
    },
    async (request) => {
      const { queue, message_id } = request.params;
      const letter = await showDeadLetter(connection(), actual(queue), message_id);
      if (!letter) throw deadLetterErrors.NOT_FOUND();
      return toWire(letter, queue);
    },
  );

  app.post(
    '/admin/dead-letters/:queue/replay',
    {
      preHandler: requireAdmin,
      schema: {
        tags,
        security,
        summary: 'Publish dead letters back to their queue, attempt count reset (admin)',
        params: QueueParams,
        body: ReplayBodySchema,
        response: { 200: ReplayResultSchema, ...authedProblemResponses(403, 503) },
      },
    },
    async (request) => {
      const { ids, limit } = request.body;
      return replayDeadLetters(connection(), actual(request.params.queue), {
        ...(ids !== undefined && { ids }),
        ...(limit !== undefined && { limit }),
      });
    },
  );

  app.delete(
    '/admin/dead-letters/:queue',
    {
      preHandler: requireAdmin,
      schema: {
        tags,
        security,
        summary: 'Delete every dead letter of a queue (admin)',
        params: QueueParams,
        response: { 200: PurgeResultSchema, ...authedProblemResponses(403, 503) },
      },
    },
    async (request) => ({ purged: await purgeDeadLetters(connection(), actual(request.params.queue)) }),
  );
}
