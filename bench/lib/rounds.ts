/**
 * Rounds that rotate: every side of a comparison is loaded in turn, one at a time, the order shifting
 * each round, so the load other work puts on the machine weighs on every side alike; a side's figure
 * is the median of its rounds.
 */
import { type Measurement, round } from './measure.js';
import { runWrk, type WrkOptions, type WrkResult } from './wrk.js';

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
