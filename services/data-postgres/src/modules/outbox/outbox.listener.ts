import type { Logger } from '@flotilla/platform';
import pg from 'pg';

/** A LISTEN connection; see {@link listenForOutbox}. */
export interface OutboxListener {
  close(): Promise<void>;
}

/**
 * Keeps one PostgreSQL connection listening on the `outbox` channel (a trigger NOTIFYs it when a
 * transaction that stored events commits) and calls `onNotify` for each notification. A lost
 * connection is reopened after a second; the relay's poll covers the gap.
 */
export function listenForOutbox(options: {
  connectionString: string;
  logger: Logger;
  onNotify: () => void;
}): OutboxListener {
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  function reconnectLater() {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void open();
    }, 1000);
  }

  async function open(): Promise<void> {
    const current = new pg.Client({
      connectionString: options.connectionString,
      application_name: 'flotilla-data-postgres-outbox',
    });
    client = current;
    current.on('notification', () => options.onNotify());
    current.on('error', (error) => {
      options.logger.warn({ err: error }, 'outbox LISTEN connection failed');
      current.end().catch(() => undefined);
      reconnectLater();
    });
    current.on('end', () => {
      if (client === current) reconnectLater();
    });
    try {
      await current.connect();
      await current.query('LISTEN outbox');
      if (closed) await current.end();
      // Rows committed while no connection listened are picked up at once.
      else options.onNotify();
    } catch (error) {
      options.logger.debug({ err: error }, 'outbox LISTEN connection not opened');
      current.end().catch(() => undefined);
      reconnectLater();
    }
  }

  void open();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
