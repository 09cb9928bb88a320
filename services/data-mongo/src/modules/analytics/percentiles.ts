/** The processing-time percentiles data-mongo reports. */
export const REPORTED_PERCENTILES = [0.5, 0.9, 0.99] as const;

/**
 * The 0-based position, in ascending order, of the nearest-rank `p` percentile of `count` values: the
 * smallest value such that at least `p` of all values are less than or equal to it.
 *
 * Percentiles are computed this way, by reading the value at that position of an index-sorted query,
 * because FerretDB v1 has neither `$percentile`/`$median` (MongoDB 7) nor `$push`/`$sortArray` to collect
 * values. Reading one value per percentile works on both servers, gives the same exact answer on both,
 * and never holds more than one value in memory.
 */
export function nearestRankIndex(p: number, count: number): number {
  if (count <= 0) throw new RangeError('no values');
  if (!(p > 0 && p <= 1)) throw new RangeError(`percentile must be in (0, 1], got ${p}`);
  // The epsilon keeps float error (0.29 * 100 = 28.999999999999996) from moving the rank.
  const rank = Math.ceil(p * count - 1e-9);
  return Math.min(count, Math.max(1, rank)) - 1;
}

/** Nearest-rank percentiles of values already sorted ascending (the reference the database path must match). */
export function percentilesOfSorted(sorted: readonly number[], ps: readonly number[]): number[] {
  return ps.map((p) => sorted[nearestRankIndex(p, sorted.length)] as number);
}
