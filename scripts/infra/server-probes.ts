/**
 * Protocol checks of the local servers, through the same drivers the services use (`mongodb`,
 * `ioredis`, `amqplib`; installed by `npm install` before `npm run infra` runs): a real round trip
 * with the URL's credentials, bounded in time, the connection closed after.
 */
import { connect as amqpConnect } from 'amqplib';
import { Redis } from 'ioredis';
import { type Document, MongoClient } from 'mongodb';

/** Runs one command on a MongoDB-wire server (`{ ping: 1 }`, `{ buildInfo: 1 }`) and returns its reply. */
export async function mongoCommand(url: string, command: Document, timeoutMs = 3000): Promise<Document> {
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
    directConnection: true,
    monitorCommands: false,
  });
  try {
    return await client.db('admin').command(command);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Runs commands on a Redis server in order (after AUTH from the URL) and returns their replies. */
export async function redisCommands(url: string, commands: string[][], timeoutMs = 3000): Promise<unknown[]> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const replies: unknown[] = [];
    for (const [name, ...args] of commands) replies.push(await client.call(name as string, ...args));
    return replies;
  } finally {
    client.disconnect();
  }
}

/** Reads one field (e.g. `redis_version`) from an INFO reply. */
export function infoField(info: unknown, field: string): string | undefined {
  if (typeof info !== 'string') return undefined;
  const line = info.split('\r\n').find((entry) => entry.startsWith(`${field}:`));
  return line?.slice(field.length + 1);
}

/** What an AMQP handshake tells: the server's product and version, and that the login worked. */
export interface AmqpHandshake {
  product: string;
  version: string;
  authenticated: boolean;
}

/**
 * Opens (and closes) an AMQP connection with the URL's credentials. A server that refuses the login
 * still answered (it is up): that is `authenticated: false`, not an error, so a node whose password
 * changed since its first boot counts as started and can be given the new one. Rejects when nothing
 * speaks AMQP there.
 */
export async function amqpHandshake(url: string, timeoutMs = 3000): Promise<AmqpHandshake> {
  let connection: Awaited<ReturnType<typeof amqpConnect>>;
  try {
    connection = await amqpConnect(url, { timeout: timeoutMs });
  } catch (error) {
    if (/ACCESS.REFUSED/.test((error as Error).message)) {
      return { product: 'AMQP server', version: 'unknown', authenticated: false };
    }
    throw error;
  }
  try {
    const properties = (connection.connection as unknown as { serverProperties?: Record<string, unknown> })
      .serverProperties;
    return {
      product: String(properties?.product ?? 'AMQP server'),
      version: String(properties?.version ?? 'unknown'),
      authenticated: true,
    };
  } finally {
    await connection.close().catch(() => undefined);
  }
}
