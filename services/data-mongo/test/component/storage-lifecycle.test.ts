import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataMongoConfig } from '../../src/config.js';
import { createDeps } from '../../src/deps.js';
import { EVENTS_COLLECTION } from '../../src/modules/analytics/event-document.js';
import { RETENTION_INDEX } from '../../src/modules/analytics/retention.js';
import { makeEvent } from '../support/events.js';
import { startTestService, type TestService, testDatabaseName } from '../support/test-service.js';

const DAY_MS = 86_400_000;
const database = testDatabaseName('dm_lifecycle');
let service: TestService;

beforeAll(async () => {
  service = await startTestService(database, { MONGO_ANALYTICS_RETENTION_DAYS: '30' });
});
afterAll(() => service?.close());

async function indexNames(collection: string): Promise<string[]> {
  const indexes = await service.deps.mongo.db.collection(collection).listIndexes().toArray();
  return indexes.map((index) => String(index.name)).sort();
}

describe('start-up', () => {
  it('creates the event and GridFS indexes (the age listing’s too), and again on a restart without error or change', async () => {
    const before = {
      events: await indexNames(EVENTS_COLLECTION),
      files: await indexNames('blobs.files'),
      chunks: await indexNames('blobs.chunks'),
    };
    expect(before.events).toEqual(
      ['_id_', RETENTION_INDEX, 'type_kind_duration', 'type_occurred', 'user_occurred'].sort(),
    );
    expect(before.files).toEqual(['_id_', 'filename_1_uploadDate_1', 'uploadDate_1__id_1']);
    expect(before.chunks).toEqual(['_id_', 'files_id_1_n_1']);

    const again = await startTestService(database, { MONGO_ANALYTICS_RETENTION_DAYS: '45' });
    try {
      expect(await indexNames(EVENTS_COLLECTION)).toEqual(before.events);
      expect(await indexNames('blobs.files')).toEqual(before.files);
      expect(await indexNames('blobs.chunks')).toEqual(before.chunks);
    } finally {
      await again.app.close();
      for (const closer of again.deps.closers) await closer.close();
    }
  });

  it('keeps retention with a TTL index where the server has them, else with its own sweep', async () => {
    const { mode } = service.deps.retention;
    const indexes = await service.deps.mongo.db.collection(EVENTS_COLLECTION).listIndexes().toArray();
    const retention = indexes.find((index) => index.name === RETENTION_INDEX);
    expect(retention?.key).toEqual({ occurred_at: 1 });
    if (mode === 'ttl') expect(retention?.expireAfterSeconds).toBe(30 * 86_400);
    else expect(mode).toBe('sweep');
  });

  it('is ready when MongoDB answers a ping', async () => {
    const response = await service.app.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json().checks.mongo.status).toBe('up');
  });

  it('refuses to start when MongoDB cannot be reached, within MONGO_TIMEOUT_MS', async () => {
    const config = loadDataMongoConfig({
      MONGO_URL: 'mongodb://127.0.0.1:9/',
      MONGO_TIMEOUT_MS: '300',
      SERVICE_TOKENS: `api:${'t'.repeat(32)}`,
      LOG_LEVEL: 'silent',
    });
    const started = Date.now();
    await expect(createDeps(config)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('retention', () => {
  it('deletes events older than the retention period and keeps the others', async () => {
    const old = makeEvent({ occurred_at: new Date(Date.now() - 31 * DAY_MS).toISOString() });
    const recent = makeEvent({ occurred_at: new Date(Date.now() - 29 * DAY_MS).toISOString() });
    await service.app.inject({
      method: 'POST',
      url: '/api/v1/analytics/events',
      headers: service.auth,
      payload: [old, recent],
    });

    const deleted = await service.deps.retention.sweeper.sweep();

    expect(deleted).toBeGreaterThanOrEqual(1);
    const events = service.deps.mongo.db.collection(EVENTS_COLLECTION);
    expect(await events.countDocuments({ _id: old.event_id as never })).toBe(0);
    expect(await events.countDocuments({ _id: recent.event_id as never })).toBe(1);
    const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/analytics_retention_deleted_total\{service="data-mongo"\} [1-9]/);
  });
});

describe('shutdown', () => {
  it('closes the MongoDB client through the closers, after the HTTP server', async () => {
    const other = await startTestService(testDatabaseName('dm_closers'));
    await other.deps.mongo.db.dropDatabase();
    expect(other.deps.closers.map((closer) => closer.name).at(-1)).toBe('mongo');
    await other.app.close();
    for (const closer of other.deps.closers) await closer.close();
    await expect(other.deps.mongo.ping()).rejects.toThrow(/must be connected/);
  });
});

describe('when MongoDB goes away', () => {
  it('answers 503 STORAGE.UNAVAILABLE and reports not ready', async () => {
    const other = await startTestService(testDatabaseName('dm_gone'));
    await other.deps.mongo.db.dropDatabase();
    await other.deps.mongo.close();
    try {
      const events = await other.app.inject({
        method: 'GET',
        url: '/api/v1/analytics/events',
        headers: other.auth,
      });
      expect(events.statusCode).toBe(503);
      expect(events.json()).toMatchObject({ code: 'STORAGE.UNAVAILABLE' });
      const ready = await other.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.mongo.status).toBe('down');
    } finally {
      await other.app.close();
    }
  });
});
