import { createDataMongoClient, type DataMongoClient } from '@flotilla/contracts';
import { isUpstreamHttpError, newId } from '@flotilla/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent, mediaSucceeded } from '../support/events.js';
import { startTestService, type TestService, testDatabaseName } from '../support/test-service.js';

let service: TestService;
let client: DataMongoClient;
const user = newId();
const when = new Date('2026-06-10T08:00:00.000Z');

beforeAll(async () => {
  service = await startTestService(testDatabaseName('dm_client'));
  client = createDataMongoClient({
    baseUrl: await service.listen(),
    callerName: 'worker',
    serviceToken: service.token,
  });
});
afterAll(async () => {
  await client?.close();
  await service?.close();
});

describe('the typed analytics client', () => {
  it('splits a large batch into calls of at most 500 events and adds up the counts', async () => {
    const events = Array.from({ length: 1201 }, (_, index) =>
      makeEvent({
        event_type: 'media.uploaded',
        user_id: index % 2 === 0 ? user : newId(),
        occurred_at: when.toISOString(),
      }),
    );
    expect(await client.analytics.ingest(events)).toEqual({ received: 1201, inserted: 1201, duplicates: 0 });
    expect(await client.analytics.ingest(events.slice(0, 10))).toEqual({
      received: 10,
      inserted: 0,
      duplicates: 10,
    });
  });

  it('queries with filters and follows the cursor', async () => {
    const first = await client.analytics.query({ user_id: user, event_type: ['media.uploaded'], limit: 200 });
    expect(first.items).toHaveLength(200);
    expect(first.next_cursor).not.toBeNull();
    const second = await client.analytics.query({
      user_id: user,
      limit: 200,
      cursor: first.next_cursor ?? '',
    });
    expect(second.items).toHaveLength(200);
    expect(new Set([...first.items, ...second.items].map((item) => item.event_id)).size).toBe(400);
  });

  it('reads activity, processing times and savings, per user and system-wide', async () => {
    await client.analytics.ingest([
      mediaSucceeded(user, 'photo', 120, 5000, when),
      mediaSucceeded(user, 'photo', 80, 3000, when),
      mediaSucceeded(newId(), 'document', 900, 0, when),
    ]);
    const range = { from: '2026-06-10T00:00:00.000Z', to: '2026-06-11T00:00:00.000Z' };

    const mine = await client.analytics.userActivity(user, range);
    expect(mine).toMatchObject({ user_id: user, total: 603 });
    expect(mine.by_day).toEqual([
      {
        day: '2026-06-10',
        total: 603,
        by_type: [
          { event_type: 'media.uploaded', count: 601 },
          { event_type: 'media.succeeded', count: 2 },
        ],
      },
    ]);
    const everybody = await client.analytics.systemActivity(range);
    expect(everybody).toMatchObject({ total: 1204, active_users: 602 });

    expect(await client.analytics.processingTimes({ user_id: user })).toEqual({
      user_id: user,
      by_kind: [{ kind: 'photo', count: 2, p50_ms: 80, p90_ms: 120, p99_ms: 120 }],
    });
    expect((await client.analytics.processingTimes()).by_kind.map((kind) => kind.kind).sort()).toEqual([
      'document',
      'photo',
    ]);
    expect(await client.analytics.savings({ user_id: user, ...range })).toEqual({
      user_id: user,
      count: 2,
      bytes_saved: 8000,
      by_kind: [{ kind: 'photo', count: 2, bytes_saved: 8000 }],
    });
    expect(await client.analytics.savings()).toMatchObject({ count: 3, bytes_saved: 8000 });
  });

  it("surfaces data-mongo's error code on a refused call", async () => {
    const error = await client.analytics
      .systemActivity({ from: '2026-06-11T00:00:00.000Z', to: '2026-06-10T00:00:00.000Z' })
      .catch((caught: unknown) => caught);
    expect(isUpstreamHttpError(error, 422)).toBe(true);
    expect(isUpstreamHttpError(error) && error.upstreamCode).toBe('ANALYTICS.INVALID_RANGE');
  });
});
