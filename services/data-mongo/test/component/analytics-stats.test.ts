import type { AnalyticsActivity, AnalyticsProcessingTimes, AnalyticsSavings } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { percentilesOfSorted } from '../../src/modules/analytics/percentiles.js';
import { makeEvent, mediaSucceeded } from '../support/events.js';
import { startTestService, type TestService, testDatabaseName } from '../support/test-service.js';

let service: TestService;
const alice = newId();
const bob = newId();
const day1 = new Date('2026-05-01T10:00:00.000Z');
const day2 = new Date('2026-05-02T23:59:59.999Z');
const photoDurations = [70, 10, 100, 40, 20, 90, 30, 60, 80, 50];

beforeAll(async () => {
  service = await startTestService(testDatabaseName('dm_stats'));
  const events = [
    ...photoDurations.map((ms) => mediaSucceeded(alice, 'photo', ms, 100, day1)),
    ...[300, 100, 200].map((ms) => mediaSucceeded(alice, 'document', ms, 50, day2)),
    mediaSucceeded(bob, 'photo', 1000, 1000, day2),
    makeEvent({ user_id: alice, event_type: 'media.uploaded', occurred_at: day1.toISOString() }),
    makeEvent({ user_id: alice, event_type: 'media.uploaded', occurred_at: day2.toISOString() }),
    makeEvent({ user_id: alice, event_type: 'user.updated', occurred_at: day2.toISOString() }),
    // Ignored by the media statistics: no kind, a duration that is not a number, another event type.
    makeEvent({
      user_id: alice,
      event_type: 'media.succeeded',
      occurred_at: day1.toISOString(),
      data: { duration_ms: 5 },
    }),
    makeEvent({
      user_id: alice,
      event_type: 'media.succeeded',
      occurred_at: day1.toISOString(),
      data: { kind: 'photo', duration_ms: 'slow', bytes_saved: 'lots' },
    }),
    makeEvent({
      user_id: bob,
      event_type: 'media.failed',
      occurred_at: day1.toISOString(),
      data: { kind: 'photo', duration_ms: 1 },
    }),
    // An event without a user counts in the system-wide activity but not as an active user.
    makeEvent({ event_type: 'system.tick', occurred_at: day1.toISOString() }),
  ];
  const response = await service.app.inject({
    method: 'POST',
    url: '/api/v1/analytics/events',
    headers: service.auth,
    payload: events,
  });
  expect(response.json()).toMatchObject({ inserted: events.length });
});
afterAll(() => service?.close());

function get<T>(url: string): Promise<{ status: number; body: T }> {
  return service.app
    .inject({ method: 'GET', url, headers: service.auth })
    .then((response) => ({ status: response.statusCode, body: response.json() as T }));
}

const RANGE = 'from=2026-05-01T00:00:00.000Z&to=2026-05-03T00:00:00.000Z';

describe('activity', () => {
  it("counts a user's events by type and by UTC day", async () => {
    const { status, body } = await get<AnalyticsActivity>(
      `/api/v1/analytics/users/${alice}/activity?${RANGE}`,
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      user_id: alice,
      from: '2026-05-01T00:00:00.000Z',
      to: '2026-05-03T00:00:00.000Z',
      total: 18,
      by_type: [
        { event_type: 'media.succeeded', count: 15 },
        { event_type: 'media.uploaded', count: 2 },
        { event_type: 'user.updated', count: 1 },
      ],
      by_day: [
        {
          day: '2026-05-01',
          total: 13,
          by_type: [
            { event_type: 'media.succeeded', count: 12 },
            { event_type: 'media.uploaded', count: 1 },
          ],
        },
        {
          day: '2026-05-02',
          total: 5,
          by_type: [
            { event_type: 'media.succeeded', count: 3 },
            { event_type: 'media.uploaded', count: 1 },
            { event_type: 'user.updated', count: 1 },
          ],
        },
      ],
    });
  });

  it('counts system-wide activity with the number of active users', async () => {
    const { body } = await get<AnalyticsActivity>(`/api/v1/analytics/activity?${RANGE}`);
    expect(body.user_id).toBeUndefined();
    expect(body.total).toBe(21);
    expect(body.active_users).toBe(2);
    expect(body.by_type).toContainEqual({ event_type: 'media.succeeded', count: 16 });
    expect(body.by_day.map((day) => day.total)).toEqual([15, 6]);
  });

  it('defaults to the last 30 days', async () => {
    const { body } = await get<AnalyticsActivity>(`/api/v1/analytics/users/${alice}/activity`);
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(30 * 86_400_000);
    expect(Math.abs(Date.parse(body.to) - Date.now())).toBeLessThan(60_000);
  });

  it.each([
    ['more than 366 days', 'from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z'],
    ['from after to', 'from=2026-05-03T00:00:00Z&to=2026-05-01T00:00:00Z'],
  ])('refuses a range of %s with 422 ANALYTICS.INVALID_RANGE', async (_case, query) => {
    const { status, body } = await get<{ code: string }>(`/api/v1/analytics/activity?${query}`);
    expect(status).toBe(422);
    expect(body.code).toBe('ANALYTICS.INVALID_RANGE');
  });
});

describe('processing times', () => {
  it("gives a user's nearest-rank p50/p90/p99 per kind, from media.succeeded durations only", async () => {
    const { status, body } = await get<AnalyticsProcessingTimes>(
      `/api/v1/analytics/users/${alice}/processing-times`,
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      user_id: alice,
      by_kind: [
        { kind: 'photo', count: 10, p50_ms: 50, p90_ms: 90, p99_ms: 100 },
        { kind: 'document', count: 3, p50_ms: 200, p90_ms: 300, p99_ms: 300 },
      ],
    });
  });

  it('gives the same answer as the in-memory reference system-wide', async () => {
    const { body } = await get<AnalyticsProcessingTimes>('/api/v1/analytics/processing-times');
    const photos = [...photoDurations, 1000].sort((a, b) => a - b);
    const [p50, p90, p99] = percentilesOfSorted(photos, [0.5, 0.9, 0.99]);
    expect(body.by_kind[0]).toEqual({ kind: 'photo', count: 11, p50_ms: p50, p90_ms: p90, p99_ms: p99 });
    expect(body.by_kind[0]?.p99_ms).toBe(1000);
  });

  it('honours the time range', async () => {
    const { body } = await get<AnalyticsProcessingTimes>(
      '/api/v1/analytics/processing-times?from=2026-05-02T00:00:00.000Z',
    );
    expect(body.by_kind).toEqual([
      { kind: 'document', count: 3, p50_ms: 200, p90_ms: 300, p99_ms: 300 },
      { kind: 'photo', count: 1, p50_ms: 1000, p90_ms: 1000, p99_ms: 1000 },
    ]);
  });

  it('is empty for a user without media', async () => {
    const { body } = await get<AnalyticsProcessingTimes>(
      `/api/v1/analytics/users/${newId()}/processing-times`,
    );
    expect(body.by_kind).toEqual([]);
  });
});

describe('savings', () => {
  it("sums a user's bytes saved in total and per kind", async () => {
    const { body } = await get<AnalyticsSavings>(`/api/v1/analytics/users/${alice}/savings`);
    expect(body).toEqual({
      user_id: alice,
      count: 13,
      bytes_saved: 1150,
      by_kind: [
        { kind: 'photo', count: 10, bytes_saved: 1000 },
        { kind: 'document', count: 3, bytes_saved: 150 },
      ],
    });
  });

  it('sums everybody’s savings system-wide, within the range', async () => {
    const all = await get<AnalyticsSavings>('/api/v1/analytics/savings');
    expect(all.body).toMatchObject({ count: 14, bytes_saved: 2150 });
    const day1Only = await get<AnalyticsSavings>(
      '/api/v1/analytics/savings?from=2026-05-01T00:00:00.000Z&to=2026-05-02T00:00:00.000Z',
    );
    expect(day1Only.body).toEqual({
      count: 10,
      bytes_saved: 1000,
      by_kind: [{ kind: 'photo', count: 10, bytes_saved: 1000 }],
    });
  });

  it('refuses a user id that is not a UUID', async () => {
    const { status } = await get('/api/v1/analytics/users/alice/savings');
    expect(status).toBe(422);
  });
});
