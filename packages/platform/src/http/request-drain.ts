import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** Options of {@link drainUnreadRequestBodies}. */
export interface RequestDrainOptions {
  /** Bytes read and dropped at most after the answer; past that the connection is closed. */
  maxBytes: number;
  /** Longest time the rest of a body may take to arrive after the answer; then the connection is closed. */
  timeoutMs: number;
}

function drain(raw: IncomingMessage, options: RequestDrainOptions): void {
  if (raw.complete || raw.destroyed) return;
  let bytes = 0;
  const timer = setTimeout(() => raw.destroy(), options.timeoutMs);
  timer.unref();
  const stop = () => clearTimeout(timer);
  raw.once('end', stop);
  raw.once('close', stop);
  raw.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > options.maxBytes) raw.destroy();
  });
  // A body parser still piped from the request (stalled, its consumer gone) would pause it again at
  // every chunk: detach it, then let the rest flow into the void.
  raw.unpipe();
  raw.resume();
}

/**
 * For upload routes (request bodies read as streams): when an answer goes out before the request body
 * was read to its end (an upload refused at once, or failed midway), the rest of the body is read and
 * dropped, so the client, still sending, receives the answer and the connection stays usable, instead of
 * a reset that loses the answer. A body still longer than `maxBytes`, or still arriving after
 * `timeoutMs`, gets its connection closed. Register it in the scope of those routes.
 */
export function drainUnreadRequestBodies(scope: FastifyInstance, options: RequestDrainOptions): void {
  scope.addHook('onSend', async (request, _reply, payload) => {
    drain(request.raw, options);
    return payload;
  });
}
