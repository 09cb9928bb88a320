/**
 * Measurement primitives shared by every benchmark scenario: a closed-loop load runner (N workers,
 * bounded by count and time), latency percentiles, and the report shape written to bench/results/.
 */

/** Latency and throughput of one measured subject (the system or its baseline). */
export interface Measurement {
  label: string;
  operations: number;
  errors: number;
  seconds: number;
  throughput_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  rss_mb?: number;
}

/** One comparison: the system against its baseline, measured in the same run. */
export interface ScenarioResult {
  scenario: string;
  description: string;
  concurrency?: number;
  system: Measurement;
  baseline: Measurement;
  /** system throughput / baseline throughput (1.0 = as fast as the baseline). */
  throughput_ratio: number;
  /** system p99 / baseline p99. */
  p99_ratio: number;
  notes?: string[];
}

/** A benchmark scenario: `bench/scenarios/<name>.bench.ts` default-exports one of these. */
export interface Scenario {
  name: string;
  description: string;
  /** Runs the system and the baseline; resolves with one or more comparisons. */
  run(options: { quick: boolean }): Promise<ScenarioResult[]>;
}

/** The value at quantile `q` (0..1) of sorted numbers. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? 0;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  label: string;
  concurrency: number;
  /** Stop after this many operations in total... */
  maxOperations: number;
  /** ...or after this many milliseconds, whichever comes first. */
  maxMs: number;
  /** Operations not measured first (JIT, pools, caches). */
  warmup?: number;
}

/**
 * Runs `operation` from `concurrency` concurrent workers until the count or time bound is reached,
 * recording each operation's latency. Failures are counted, not thrown.
 */
export async function runLoad(operation: () => Promise<unknown>, options: LoadOptions): Promise<Measurement> {
  for (let i = 0; i < (options.warmup ?? 0); i += 1) await operation().catch(() => undefined);
  const latencies: number[] = [];
  let errors = 0;
  let started = 0;
  const begin = performance.now();
  const deadline = begin + options.maxMs;
  async function worker(): Promise<void> {
    while (started < options.maxOperations && performance.now() < deadline) {
      started += 1;
      const t0 = performance.now();
      try {
        await operation();
        latencies.push(performance.now() - t0);
      } catch {
        errors += 1;
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  const seconds = (performance.now() - begin) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    label: options.label,
    operations: latencies.length,
    errors,
    seconds: round(seconds),
    throughput_per_s: round(latencies.length / seconds),
    p50_ms: round(quantile(latencies, 0.5)),
    p99_ms: round(quantile(latencies, 0.99)),
    max_ms: round(latencies.at(-1) ?? 0),
  };
}

/** Builds a comparison with its ratios. */
export function compare(
  scenario: string,
  description: string,
  system: Measurement,
  baseline: Measurement,
  extra: Partial<ScenarioResult> = {},
): ScenarioResult {
  return {
    scenario,
    description,
    system,
    baseline,
    throughput_ratio: round(
      baseline.throughput_per_s ? system.throughput_per_s / baseline.throughput_per_s : 0,
    ),
    p99_ratio: round(baseline.p99_ms ? system.p99_ms / baseline.p99_ms : 0),
    ...extra,
  };
}

/** Rounds to 3 decimals. */
export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The middle value (the mean of the two middle ones for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Rounds of one side folded into one measurement: medians of throughput and latencies, sums of counts. */
export function medianOfRounds(rounds: readonly Measurement[], label: string): Measurement {
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
