import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongo, type Mongo } from '../../src/db/mongo.js';

/**
 * The MongoDB driver patch in patches/: a command written on a socket that has just been destroyed
 * without an error (the server's FIN handled, the 'close' event not yet emitted) must fail as a closed
 * connection instead of waiting forever for a 'drain' that never comes. Without the patch, a store
 * restarted under load left the driver's monitor stuck on such a write and every operation waiting.
 * The state is made exactly here: the socket is destroyed and the command sent in the same tick.
 */

/** What the driver's connections look like inside (not public API; only this test reaches in). */
interface DriverConnection {
  closed: boolean;
  socket: { destroy(): void; destroyed: boolean };
  command(ns: { db: string; collection: string }, command: object, options: object): Promise<unknown>;
}

interface DriverServer {
  monitor?: { connection?: DriverConnection | null };
}

let mongo: Mongo;

beforeAll(async () => {
  const url = process.env.MONGO_URL;
  if (!url) throw new Error('MONGO_URL is not set: run `npm run infra -- up` first');
  mongo = createMongo({
    url,
    database: 'dm_driver_patch',
    poolSize: 2,
    timeoutMs: 2000,
    appName: 'driver-patch-test',
  });
  await mongo.ping();
});

afterAll(() => mongo?.close());

/** The monitor's connection (serverMonitoringMode 'poll' keeps one open between heartbeats). */
async function monitorConnection(): Promise<DriverConnection> {
  const topology = (mongo.client as unknown as { topology: { s: { servers: Map<string, DriverServer> } } })
    .topology;
  for (let waited = 0; waited < 5000; waited += 50) {
    const [server] = [...topology.s.servers.values()];
    const connection = server?.monitor?.connection;
    if (connection && !connection.closed) return connection;
    await sleep(50);
  }
  throw new Error('the driver opened no monitor connection');
}

describe('the MongoDB driver on a socket the server has just closed', () => {
  it('fails the command as a closed connection instead of waiting forever', async () => {
    const connection = await monitorConnection();
    connection.socket.destroy();
    expect(connection.socket.destroyed).toBe(true);
    expect(connection.closed).toBe(false); // 'close' is emitted on a later tick: the window of the bug
    const outcome = await Promise.race([
      connection.command({ db: 'admin', collection: '$cmd' }, { ping: 1 }, {}).then(
        () => 'answered',
        (error: Error) => `${error.name}: ${error.message}`,
      ),
      sleep(10_000).then(() => 'still waiting after 10 s'),
    ]);
    expect(outcome).toMatch(/^MongoNetworkError: connection .* closed$/);
  });

  it('reaches the server again afterwards', async () => {
    await expect(mongo.db.command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
  });
});
