import { appendFile, readFile } from 'node:fs/promises';
import type { ScenarioResult } from './measure.js';

/**
 * The benchmark history, `bench/results/history.jsonl` (committed): one JSON line per comparison of
 * every full run (`--quick` runs are left out), with its date and machine, so a run can be read next
 * to the one before it and a regression shows as a ratio that moved.
 */
export interface HistoryEntry {
  /** When the comparison was measured (ISO 8601). */
  date: string;
  /** The machine, as `latest.md` names it: CPU, cores, memory, Node. */
  machine: string;
  scenario: string;
  throughput_ratio: number;
  p99_ratio: number;
  system_per_s: number;
  baseline_per_s: number;
}

/** Reads the history; an absent file is an empty history, a broken line is skipped. */
export async function readHistory(file: string): Promise<HistoryEntry[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const entries: HistoryEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as HistoryEntry);
    } catch {
      // a line cut by an interrupted write: the rest of the history still counts
    }
  }
  return entries;
}

/** The history entries of the comparisons a run measured. */
export function historyEntries(
  results: readonly ScenarioResult[],
  date: string,
  machine: string,
): HistoryEntry[] {
  return results.map((result) => ({
    date,
    machine,
    scenario: result.scenario,
    throughput_ratio: result.throughput_ratio,
    p99_ratio: result.p99_ratio,
    system_per_s: result.system.throughput_per_s,
    baseline_per_s: result.baseline.throughput_per_s,
  }));
}

/** Appends entries to the history file. */
export async function appendHistory(file: string, entries: readonly HistoryEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await appendFile(file, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
}

/**
 * The measurement a result is read next to: the last one of the same comparison before it. A result
 * found in the history (the same throughputs) is dated by its own entry; otherwise by `date`.
 */
export function previousOf(
  history: readonly HistoryEntry[],
  result: Pick<ScenarioResult, 'scenario' | 'system' | 'baseline'>,
  date: string,
): HistoryEntry | undefined {
  const same = history.filter((entry) => entry.scenario === result.scenario);
  const itself = same.find(
    (entry) =>
      entry.system_per_s === result.system.throughput_per_s &&
      entry.baseline_per_s === result.baseline.throughput_per_s,
  );
  const before = itself?.date ?? date;
  let found: HistoryEntry | undefined;
  for (const entry of same) {
    if (entry.date >= before) continue;
    if (!found || entry.date > found.date) found = entry;
  }
  return found;
}
