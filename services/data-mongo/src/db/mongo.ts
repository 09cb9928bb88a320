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
    // The streaming monitor (an awaited hello held open) never reconnected after the server restarted
    // under load (seen with FerretDB v1: no connection at all afterwards, every operation timing out);
    // polling with a hello every heartbeat (10 s) finds the server again.
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
