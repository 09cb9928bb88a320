import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a real data service that answers an error to the requests `shouldFail`
 * picks (503, or the status it returns) and forwards everything else untouched: a network fault we
 * control, not a double of the service.
 */
export async function startFaultProxy(
  target: string,
  shouldFail: (request: IncomingMessage) => boolean | number,
) {
  const upstream = new URL(target);
  let injected = 0;
  const server = createServer((incoming, outgoing) => {
    const fault = shouldFail(incoming);
    if (fault !== false) {
      const status = fault === true ? 503 : fault;
      injected += 1;
      incoming.resume();
      outgoing.writeHead(status, { 'content-type': 'application/problem+json' });
      outgoing.end(JSON.stringify({ type: 'about:blank', title: 'Injected fault', status }));
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: upstream.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    injected: () => injected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
