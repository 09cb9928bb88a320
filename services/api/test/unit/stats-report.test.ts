import type { AnalyticsActivity, AnalyticsProcessingTimes, AnalyticsSavings } from '@flotilla/contracts';
import { createLogger } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import { createGetMyStats } from '../../src/modules/stats/application/get-my-stats.use-case.js';
import { createGetSystemStats } from '../../src/modules/stats/application/get-system-stats.use-case.js';
import type {
  AnalyticsReader,
  StatsCache,
  StatsDeps,
} from '../../src/modules/stats/application/stats.ports.js';

const USER = '0190a6e4-0000-7000-8000-00000000000a';
const logger = createLogger({ service: 'test', version: '0', level: 'silent' });
const NOW = new Date('2026-11-24T12:00:00.000Z');

/** Aggregations that record the filters they were asked for. */
function analytics() {
  const calls: Array<{ call: string; arg: unknown }> = [];
  const activity = (userId?: string): AnalyticsActivity => ({
    ...(userId ? { user_id: userId } : { active_users: 3 }),
    from: '2026-11-17T12:00:00.000Z',
    to: NOW.toISOString(),
    total: 5,
    by_type: [{ event_type: 'media.succeeded', count: 5 }],
    by_day: [],
  });
  const reader: AnalyticsReader = {
    async userActivity(userId, range) {
      calls.push({ call: 'userActivity', arg: { userId, ...range } });
      return activity(userId);
    },
    async systemActivity(range) {
      calls.push({ call: 'systemActivity', arg: range });
      return activity();
    },
    async processingTimes(filter): Promise<AnalyticsProcessingTimes> {
      calls.push({ call: 'processingTimes', arg: filter });
      return { by_kind: [{ kind: 'photo', count: 5, p50_ms: 10, p90_ms: 20, p99_ms: 30 }] };
    },
    async savings(filter): Promise<AnalyticsSavings> {
      calls.push({ call: 'savings', arg: filter });
      return { count: 5, bytes_saved: 500, by_kind: [{ kind: 'photo', count: 5, bytes_saved: 500 }] };
    },
  };
  return { reader, calls };
}

function memoryCache(): StatsCache & { keys: string[] } {
  const entries = new Map<string, string>();
  return {
    keys: [],
    async get(key) {
      return entries.get(key);
    },
    async set(key, value) {
      entries.set(key, value);
      this.keys.push(key);
    },
  };
}

const brokenCache: StatsCache = {
  get: async () => {
    throw new Error('redis down');
  },
  set: async () => {
    throw new Error('redis down');
  },
};

function deps(reader: AnalyticsReader, cache: StatsCache): StatsDeps {
  return { analytics: reader, cache, logger, cacheSeconds: 30, now: () => NOW };
}

describe('stats reports', () => {
  it("asks for one user's aggregations over the last N days, then serves the cached report", async () => {
    const { reader, calls } = analytics();
    const cache = memoryCache();
    const getMyStats = createGetMyStats(deps(reader, cache));
    const first = await getMyStats({ userId: USER, days: 7 });
    expect(first.cached).toBe(false);
    const range = { from: '2026-11-17T12:00:00.000Z', to: NOW.toISOString() };
    expect(calls).toEqual(
      expect.arrayContaining([
        { call: 'userActivity', arg: { userId: USER, ...range } },
        { call: 'processingTimes', arg: { ...range, user_id: USER } },
        { call: 'savings', arg: { ...range, user_id: USER } },
      ]),
    );
    const second = await getMyStats({ userId: USER, days: 7 });
    expect(second).toEqual({ report: first.report, cached: true });
    expect(calls).toHaveLength(3);
    expect(cache.keys).toEqual([`user.${USER}.7d`]);
  });

  it('computes the system-wide report without a user filter', async () => {
    const { reader, calls } = analytics();
    const { report } = await createGetSystemStats(deps(reader, memoryCache()))({ days: 30 });
    expect(report.activity.active_users).toBe(3);
    expect(report.userId).toBeUndefined();
    expect(calls.map((entry) => entry.call).sort()).toEqual(['processingTimes', 'savings', 'systemActivity']);
    expect(calls.find((entry) => entry.call === 'savings')?.arg).not.toHaveProperty('user_id');
  });

  it('still answers when the cache is down (fail open)', async () => {
    const { reader } = analytics();
    const result = await createGetMyStats(deps(reader, brokenCache))({ userId: USER, days: 1 });
    expect(result.cached).toBe(false);
    expect(result.report.savings.bytes_saved).toBe(500);
  });
});
