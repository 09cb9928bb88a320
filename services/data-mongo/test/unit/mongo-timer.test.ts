import { createServer } from 'node:net';
import { isDomainError } from '@flotilla/platform';
import { MongoClient, MongoNetworkError } from 'mongodb';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMongoTimer, storeUnreachable } from '../../src/db/mongo-timer.js';
import { createDataMongoMetrics } from '../../src/metrics.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('an unreachable MongoDB', () => {
  it('is STORAGE.UNAVAILABLE naming the whole wait for a server as its Retry-After', async () => {
    const client = new MongoClient(`mongodb://127.0.0.1:${await closedPort()}/`, {
      serverSelectionTimeoutMS: 300,
    });
    const timeMongo = createMongoTimer(createDataMongoMetrics(new Registry()).mongoDuration, 2500);
    try {
      const error = await timeMongo('ping', () => client.db('x').command({ ping: 1 })).catch(
        (caught: unknown) => caught,
      );
      expect(isDomainError(error) && error.code).toBe('STORAGE.UNAVAILABLE');
      // 2.5 s of waiting, in whole seconds: a caller retrying sooner would only wait it again.
      expect(isDomainError(error) && error.data).toEqual({ retry_after_seconds: 3 });
    } finally {
      await client.close();
    }
  });

  it('keeps the short default for a connection lost mid-operation, which a retry may find again', () => {
    const error = storeUnreachable(new MongoNetworkError('connection reset'), 5000);
    expect(error.code).toBe('STORAGE.UNAVAILABLE');
    expect(error.data).toBeUndefined();
  });
});
