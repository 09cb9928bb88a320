import { type Db, MongoClient } from 'mongodb';

/** The one MongoDB client of the process and the database data-mongo owns. */
export interface Mongo {
  client: MongoClient;
  db: Db;
  /** Resolves when the server answers a `ping`: the readiness check. */
  ping(): Promise<void>;
  /** Closes every pooled connection. */
  close(): Promise<void>;
}

/** Options of {@link createMongo}. */
export interface CreateMongoOptions {
  url: string;
  database: string;
  poolSize: number;
  /** Bound on server selection and on opening a connection. */
  timeoutMs: number;
  /** Reported to the server (visible in its logs and `currentOp`). */
  appName: string;
}

/** Creates the MongoDB client. The driver connects lazily, on the first operation, and reconnects by itself. */
export function createMongo(options: CreateMongoOptions): Mongo {
  const client = new MongoClient(options.url, {
    appName: options.appName,
    maxPoolSize: options.poolSize,
    serverSelectionTimeoutMS: options.timeoutMs,
    connectTimeoutMS: options.timeoutMs,
    // A hello every heartbeat (10 s) rather than one held open by the server. The monitor used to stop
    // for good after the server restarted under load (no connection at all afterwards, every operation
    // waiting): the driver waited for 'drain' on a socket the server had just closed, which never comes
    // (patches/mongodb+*.patch fixes that). Polling keeps the monitor simple either way.
    serverMonitoringMode: 'poll',
  });
  const db = client.db(options.database);
  return {
    client,
    db,
    async ping() {
      await db.command({ ping: 1 });
    },
    close: () => client.close(),
  };
}
