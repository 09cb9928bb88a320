import type { AnalyticsEvent } from '@flotilla/contracts';
import { newId } from '@flotilla/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness, type TestUser } from '../support/api-harness.js';
import { COVERED_ROUTES } from '../support/covered-routes.js';
import { expectRoutesHit } from '../support/route-coverage.js';

let harness: ApiHarness;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  harness = await startApiHarness({ label: 'stats' });
  [alice, bob] = await Promise.all([harness.registerAndLogin(), harness.registerAndLogin()]);
});
afterAll(async () => {
  if (harness) expectRoutesHit(harness.hits, COVERED_ROUTES['stats.test.ts']);
  await harness?.stop();
});

function event(userId: string, type: string, data: Record<string, unknown> = {}): AnalyticsEvent {
  return {
    event_id: newId(),
    event_type: type,
    event_version: 1,
    occurred_at: new Date(Date.now() - 60_000).toISOString(),
    producer: 'worker',
    request_id: 'stats-test',
    user_id: userId,
    data,
  };
}

const succeeded = (userId: string, durationMs: number, bytesSaved: number) =>
  event(userId, 'media.succeeded', { kind: 'photo', duration_ms: durationMs, bytes_saved: bytesSaved });

describe("a user's own stats", () => {
  it('counts my events, processing times and savings only, and serves a repeat from the cache', async () => {
    await harness.deps.dataMongo.analytics.ingest([
      event(alice.user.id, 'media.uploaded'),
      event(alice.user.id, 'media.uploaded'),
      succeeded(alice.user.id, 400, 1000),
      succeeded(alice.user.id, 800, 3000),
      succeeded(bob.user.id, 100, 50),
    ]);
    const response = await harness.inject({ url: '/api/v1/stats/me?days=7', headers: alice.headers });
    expect(response.statusCode).toBe(200);
    const stats = response.json();
    expect(stats).toMatchObject({ user_id: alice.user.id, days: 7, cached: false });
    // Registering and logging in are events too (user.registered), so count by type.
    expect(stats.activity.by_type).toEqual(
      expect.arrayContaining([
        { event_type: 'media.uploaded', count: 2 },
        { event_type: 'media.succeeded', count: 2 },
      ]),
    );
    expect(stats.processing_times).toEqual([expect.objectContaining({ kind: 'photo', count: 2 })]);
    expect(stats.savings).toMatchObject({ count: 2, bytes_saved: 4000 });

    await harness.deps.dataMongo.analytics.ingest([succeeded(alice.user.id, 100, 7)]);
    const again = await harness.inject({ url: '/api/v1/stats/me?days=7', headers: alice.headers });
    expect(again.json()).toMatchObject({ cached: true, savings: { bytes_saved: 4000 } });
  });

  it('answers 422 for an out-of-range period and 401 without a token', async () => {
    expect(
      (await harness.inject({ url: '/api/v1/stats/me?days=0', headers: alice.headers })).statusCode,
    ).toBe(422);
    expect(
      (await harness.inject({ url: '/api/v1/stats/me?days=400', headers: alice.headers })).statusCode,
    ).toBe(422);
    expect((await harness.inject({ url: '/api/v1/stats/me' })).statusCode).toBe(401);
  });
});

describe('system-wide stats', () => {
  it('are for admins only: 403 for a user, the whole system with active users for an admin', async () => {
    const refused = await harness.inject({ url: '/api/v1/stats/system', headers: alice.headers });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');

    await harness.deps.dataMongo.analytics.ingest([
      succeeded(alice.user.id, 300, 10),
      succeeded(bob.user.id, 300, 20),
    ]);
    const admin = await harness.asAdmin();
    const response = await harness.inject({ url: '/api/v1/stats/system?days=2', headers: admin.headers });
    expect(response.statusCode).toBe(200);
    const stats = response.json();
    expect(stats).not.toHaveProperty('user_id');
    expect(stats.activity.active_users).toBeGreaterThanOrEqual(2);
    expect(stats.savings.bytes_saved).toBeGreaterThanOrEqual(4000 + 50 + 10 + 20);
    expect(stats.processing_times[0]).toMatchObject({ kind: 'photo' });
  });
});
