import { describe, expect, it } from 'vitest';
import { nearestRankIndex, percentilesOfSorted } from '../../src/modules/analytics/percentiles.js';

describe('nearest-rank percentiles (the fallback for $percentile)', () => {
  it('picks the smallest value with at least p of all values at or below it', () => {
    const values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(percentilesOfSorted(values, [0.5, 0.9, 0.99])).toEqual([50, 90, 100]);
  });

  it('handles one value and two values', () => {
    expect(percentilesOfSorted([7], [0.5, 0.9, 0.99])).toEqual([7, 7, 7]);
    expect(percentilesOfSorted([1, 2], [0.5, 0.9, 0.99])).toEqual([1, 2, 2]);
  });

  it('is not moved by floating-point error', () => {
    // 0.29 * 100 is 28.999999999999996; the 29th value is the nearest rank.
    expect(nearestRankIndex(0.29, 100)).toBe(28);
    expect(nearestRankIndex(0.9, 10)).toBe(8);
    expect(nearestRankIndex(0.99, 100)).toBe(98);
    expect(nearestRankIndex(0.99, 101)).toBe(99);
  });

  it('covers the whole range of ranks', () => {
    expect(nearestRankIndex(1, 5)).toBe(4);
    expect(nearestRankIndex(0.0001, 5)).toBe(0);
  });

  it('refuses an empty set and a percentile outside (0, 1]', () => {
    expect(() => nearestRankIndex(0.5, 0)).toThrow(RangeError);
    expect(() => nearestRankIndex(0, 10)).toThrow(RangeError);
    expect(() => nearestRankIndex(1.5, 10)).toThrow(RangeError);
  });
});
