import { finished, PassThrough, type Readable } from 'node:stream';
import { blobErrors } from './blobs.errors.js';

/**
 * Relays a request body to a consumer that may stop reading early (a size limit, a storage failure).
 * The consumer gets its own stream; when it stops, the request is unpiped and what the client still sends
 * is read and discarded, so the error answer reaches a client that is still sending (as a proxy's
 * "lingering close" does) instead of a reset connection. A client that goes away mid-body fails the relay
 * with `BLOB.UPLOAD_INCOMPLETE`. Memory stays bounded by the streams' buffers either way.
 */
export function relayRequestBody(request: Readable): Readable {
  const relay = new PassThrough();
  request.pipe(relay);
  finished(request, { writable: false }, (error) => {
    if (error && !relay.destroyed) {
      relay.destroy(
        blobErrors.UPLOAD_INCOMPLETE({ detail: 'The client closed the connection.', cause: error }),
      );
    }
  });
  relay.once('close', () => {
    if (request.readableEnded) return;
    request.unpipe(relay);
    request.resume();
  });
  return relay;
}
