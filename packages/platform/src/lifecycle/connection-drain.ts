import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';

/** Options of {@link drainConnections}. */
export interface DrainConnectionsOptions {
  /**
   * Longest wait for kept-alive connections to close by themselves. Connections still open then (idle
   * ones that saw no request in that time, or ones still answering) are left to the server's close.
   */
  drainMs: number;
}

/**
 * The first half of a graceful HTTP shutdown, without resetting a kept-alive connection a client is
 * about to use:
 *
 * 1. the listener stops accepting (a new connection is refused at connect time, which every client
 *    handles: nothing was sent yet);
 * 2. connections already open stay open: a request that arrives on one is served as usual, and its
 *    answer carries `Connection: close` (as the answers still in flight do: `createHttpApp` marks every
 *    answer sent while shutting down), so the client stops reusing that connection and the server
 *    closes it once the answer is sent;
 * 3. it resolves once every connection has closed, or after `drainMs`.
 *
 * Closing idle keep-alive connections at once (what `http.Server#close()` does since Node 19, and
 * libraries such as http-terminator do too) races with the client: one that writes its next request
 * on such a connection at that instant sees a reset, and cannot know whether the request was handled.
 * Over HTTP/1.1 the only safe way to tell a client to stop using a connection is an answer with
 * `Connection: close`; a busy client sends its next request within the drain, so only connections
 * idle for the whole drain are closed by the server afterwards.
 */
export async function drainConnections(server: Server, options: DrainConnectionsOptions): Promise<void> {
  const markClose = (_request: IncomingMessage, response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('connection', 'close');
  };
  server.prependListener('request', markClose);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      // net.Server#close: stop accepting only. http.Server#close would also destroy idle connections.
      new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve())),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.drainMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
