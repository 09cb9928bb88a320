import { createLogger } from '@flotilla/platform';
import { describe, expect, it } from 'vitest';
import { createRetentionSweeper } from '../../src/modules/analytics/retention.js';

const logger = createLogger({ service: 'test', version: '0', level: 'silent' });
const DAY_MS = 86_400_000;

describe('the retention sweeper (for servers without TTL indexes)', () => {
  it('deletes what occurred before now minus the retention period, and reports the count', async () => {
    const cutoffs: Date[] = [];
    const swept: number[] = [];
    const sweeper = createRetentionSweeper({
      deleteOlderThan: async (cutoff) => {
        cutoffs.push(cutoff);
        return 3;
      },
      retentionMs: 30 * DAY_MS,
      intervalMs: 60_000,
      logger,
      onSwept: (deleted) => swept.push(deleted),
      now: () => Date.parse('2026-07-31T00:00:00.000Z'),
    });
    expect(await sweeper.sweep()).toBe(3);
    expect(cutoffs).toEqual([new Date('2026-07-01T00:00:00.000Z')]);
    expect(swept).toEqual([3]);
  });

  it('never runs two sweeps at once', async () => {
    let calls = 0;
    let release: () => void = () => {};
    const sweeper = createRetentionSweeper({
      deleteOlderThan: () => {
        calls += 1;
        return new Promise<number>((resolve) => {
          release = () => resolve(1);
        });
      },
      retentionMs: DAY_MS,
      intervalMs: 60_000,
      logger,
    });
    const first = sweeper.sweep();
    const second = sweeper.sweep();
    release();
    expect(await Promise.all([first, second])).toEqual([1, 1]);
    expect(calls).toBe(1);
  });

  it('sweeps at start, survives a failed sweep, and stops after the sweep in progress', async () => {
    let calls = 0;
    const sweeper = createRetentionSweeper({
      deleteOlderThan: async () => {
        calls += 1;
        throw new Error('server gone');
      },
      retentionMs: DAY_MS,
      intervalMs: 60_000,
      logger,
    });
    sweeper.start();
    await sweeper.stop();
    expect(calls).toBe(1);
  });
});
