/**
 * Rounds that rotate: every side of a comparison is loaded in turn, one at a time, the order shifting
 * each round, so the load other work puts on the machine weighs on every side alike; a side's figure
 * is the median of its rounds.
 */
import type { Measurement } from './measure.js';
import { round } from './measure.js';
import { runWrk, type WrkOptions, type WrkResult } from './wrk.js';

/** The median of numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The rounds of one side folded into one measurement: medians of throughput and latencies, sums of counts. */
export function medianOf(rounds: readonly Measurement[], label: string): Measurement {
  return {
    label: `${label} (median of ${rounds.length} rounds)`,
    operations: rounds.reduce((sum, entry) => sum + entry.operations, 0),
    errors: rounds.reduce((sum, entry) => sum + entry.errors, 0),
    seconds: round(rounds.reduce((sum, entry) => sum + entry.seconds, 0)),
    throughput_per_s: round(median(rounds.map((entry) => entry.throughput_per_s))),
    p50_ms: round(median(rounds.map((entry) => entry.p50_ms))),
    p99_ms: round(median(rounds.map((entry) => entry.p99_ms))),
    max_ms: round(Math.max(...rounds.map((entry) => entry.max_ms))),
  };
}

/** Runs `measure` on every side `count` times, rotating which goes first; returns the rounds by side. */
export async function rotateRounds<Side>(
  count: number,
  sides: readonly Side[],
  measure: (side: Side) => Promise<Measurement>,
): Promise<Measurement[][]> {
  const rounds = sides.map(() => [] as Measurement[]);
  for (let index = 0; index < count; index += 1) {
    for (let step = 0; step < sides.length; step += 1) {
      const at = (index + step) % sides.length;
      rounds[at]?.push(await measure(sides[at] as Side));
    }
  }
  return rounds;
}

/**
 * One wrk run as a measurement: answers with `expectedStatus` count as operations, any other answer or
 * socket error as an error (a side that fails fast must not look fast).
 */
export async function wrkMeasurement(
  label: string,
  options: WrkOptions,
  expectedStatus = 200,
): Promise<Measurement & { wrk: WrkResult }> {
  const load = await runWrk(options);
  const ok = load.statuses[String(expectedStatus)] ?? 0;
  return {
    label,
    operations: ok,
    errors: load.requests - ok + load.socketErrors,
    seconds: round(load.seconds),
    throughput_per_s: round(ok / load.seconds),
    p50_ms: round(load.p50_ms),
    p99_ms: round(load.p99_ms),
    max_ms: round(load.max_ms),
    wrk: load,
  };
}
