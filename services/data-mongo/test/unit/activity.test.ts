import { describe, expect, it } from 'vitest';
import { summarizeActivity } from '../../src/modules/analytics/activity-summary.js';
import { resolveActivityRange } from '../../src/modules/analytics/time-range.js';

describe('summarizeActivity', () => {
  it('totals by type (most frequent first) and by day (oldest first)', () => {
    const summary = summarizeActivity([
      { eventType: 'media.uploaded', day: '2026-05-02', count: 2 },
      { eventType: 'media.succeeded', day: '2026-05-01', count: 3 },
      { eventType: 'media.uploaded', day: '2026-05-01', count: 3 },
      { eventType: 'user.updated', day: '2026-05-02', count: 1 },
    ]);
    expect(summary).toEqual({
      total: 9,
      by_type: [
        { event_type: 'media.uploaded', count: 5 },
        { event_type: 'media.succeeded', count: 3 },
        { event_type: 'user.updated', count: 1 },
      ],
      by_day: [
        {
          day: '2026-05-01',
          total: 6,
          by_type: [
            { event_type: 'media.succeeded', count: 3 },
            { event_type: 'media.uploaded', count: 3 },
          ],
        },
        {
          day: '2026-05-02',
          total: 3,
          by_type: [
            { event_type: 'media.uploaded', count: 2 },
            { event_type: 'user.updated', count: 1 },
          ],
        },
      ],
    });
  });

  it('is empty without rows', () => {
    expect(summarizeActivity([])).toEqual({ total: 0, by_type: [], by_day: [] });
  });
});

describe('resolveActivityRange', () => {
  const now = new Date('2026-06-30T12:00:00.000Z');

  it('defaults to the 30 days before now', () => {
    expect(resolveActivityRange({}, now)).toEqual({ from: new Date('2026-05-31T12:00:00.000Z'), to: now });
  });

  it('defaults from to 30 days before an explicit to', () => {
    expect(resolveActivityRange({ to: '2026-01-31T00:00:00Z' }, now).from).toEqual(
      new Date('2026-01-01T00:00:00Z'),
    );
  });

  it('accepts exactly 366 days and refuses more', () => {
    expect(() =>
      resolveActivityRange({ from: '2025-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }, now),
    ).not.toThrow();
    expect(() =>
      resolveActivityRange({ from: '2025-01-01T00:00:00Z', to: '2026-01-02T00:00:01Z' }, now),
    ).toThrow(expect.objectContaining({ code: 'ANALYTICS.INVALID_RANGE' }));
  });

  it('refuses a from that is not before to (now by default)', () => {
    expect(() => resolveActivityRange({ from: '2026-07-01T00:00:00Z' }, now)).toThrow(
      expect.objectContaining({ code: 'ANALYTICS.INVALID_RANGE' }),
    );
  });
});
