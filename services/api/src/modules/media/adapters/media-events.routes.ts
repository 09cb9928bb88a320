import { Readable } from 'node:stream';
import type { HttpApp } from '@flotilla/platform';
import { Type } from 'typebox';
import { authenticate, bearerSecurity, currentUser } from '../../../http/auth.js';
import { authedProblemResponses } from '../../../http/problem-responses.js';
import type { createWatchMediaJob, WatchEvent } from '../application/watch-media-job.use-case.js';
import { MEDIA_PATH, toMediaView } from './media.mapper.js';
import { MediaIdParamsSchema } from './media.schemas.js';

/** How long a client waits before reconnecting after the stream ends unexpectedly. */
const RETRY_MS = 3000;

/** One Server-Sent Events frame for a watch event. */
export function toSseFrame(event: WatchEvent, sequence: number): string {
  if (event.type === 'heartbeat') return ': heartbeat\n\n';
  if (event.type === 'job') {
    return `id: ${sequence}\nevent: status\ndata: ${JSON.stringify(toMediaView(event.job))}\n\n`;
  }
  const data = { reason: event.reason, ...(event.job && { job: toMediaView(event.job) }) };
  return `id: ${sequence}\nevent: end\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * `GET /media/:id/events`: the job's status as Server-Sent Events. An `status` event carries the job now
 * and after every change; `end` is the last event (`reason`: `terminal`, `timeout`, `deleted`,
 * `unavailable`), after which the server closes the stream. Comments (`: heartbeat`) keep idle proxies
 * from closing it. The watch stops as soon as the client goes away.
 */
export function registerMediaEventRoutes(
  app: HttpApp,
  deps: { watchMediaJob: ReturnType<typeof createWatchMediaJob> },
): void {
  // Open streams would hold a graceful shutdown until their lifetime ends: close them when the app closes
  // (clients reconnect after `retry`, to another instance).
  const open = new Set<AbortController>();
  app.addHook('preClose', (done) => {
    for (const stream of open) stream.abort();
    done();
  });

  app.get(
    `${MEDIA_PATH}/:id/events`,
    {
      preHandler: authenticate,
      schema: {
        tags: ['media'],
        summary: "Follow a job's status (Server-Sent Events)",
        description:
          '`text/event-stream`. `event: status` with the job (as `GET /media/:id`) at once and on every ' +
          'change; `event: end` with `reason` (`terminal`, `timeout`, `deleted`, `unavailable`) and the job, ' +
          'then the stream closes. Heartbeat comments in between. 404 `MEDIA.NOT_FOUND` before the stream starts.',
        security: bearerSecurity,
        params: MediaIdParamsSchema,
        response: {
          200: Type.Unsafe<unknown>({
            description: 'An event stream.',
            // Each event's data is the job as JSON (see the description); the stream itself is text.
            content: { 'text/event-stream': { schema: {} } },
          }),
          ...authedProblemResponses(404),
        },
      },
    },
    async (request, reply) => {
      const abort = new AbortController();
      open.add(abort);
      abort.signal.addEventListener('abort', () => open.delete(abort), { once: true });
      reply.raw.once('close', () => abort.abort());
      const events = await deps.watchMediaJob({
        ownerId: currentUser(request).id,
        jobId: request.params.id,
        signal: abort.signal,
      });
      async function* frames(): AsyncGenerator<string> {
        yield `retry: ${RETRY_MS}\n\n`;
        let sequence = 0;
        for await (const event of events) {
          sequence += 1;
          yield toSseFrame(event, sequence);
        }
      }
      const body = Readable.from(frames(), { objectMode: false });
      body.once('close', () => abort.abort());
      reply
        .code(200)
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no');
      return reply.send(body);
    },
  );
}
