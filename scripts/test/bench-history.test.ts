import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendHistory, historyEntries, previousOf, readHistory } from '../../bench/lib/history.js';
import type { ScenarioResult } from '../../bench/lib/measure.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-history-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function result(scenario: string, ratio: number): ScenarioResult {
  const measurement = {
    label: scenario,
    operations: 10,
    errors: 0,
    seconds: 1,
    throughput_per_s: 100 * ratio,
    p50_ms: 1,
    p99_ms: 2,
    max_ms: 3,
  };
  return {
    scenario,
    description: '',
    system: measurement,
    baseline: { ...measurement, throughput_per_s: 100 },
    throughput_ratio: ratio,
    p99_ratio: 1,
  };
}

describe('the benchmark history', () => {
  it('keeps every run, and reads each comparison next to its last measurement before it', async () => {
    const file = join(dir, 'history.jsonl');
    expect(await readHistory(file)).toEqual([]);
    await appendHistory(
      file,
      historyEntries([result('events', 0.52), result('api-read', 0.7)], '2026-12-01T10:00:00.000Z', 'A'),
    );
    await appendHistory(file, historyEntries([result('events', 0.61)], '2026-12-03T10:00:00.000Z', 'B'));
    const history = await readHistory(file);
    expect(history).toHaveLength(3);

    // A new measurement is read next to the last one.
    expect(previousOf(history, result('events', 0.64), '2026-12-04T00:00:00.000Z')).toMatchObject({
      throughput_ratio: 0.61,
      machine: 'B',
    });
    // A result kept from an earlier run is found in the history and read next to the one before it.
    expect(previousOf(history, result('events', 0.61), '2026-12-04T00:00:00.000Z')).toMatchObject({
      throughput_ratio: 0.52,
    });
    expect(previousOf(history, result('api-read', 0.7), '2026-12-04T00:00:00.000Z')).toBeUndefined();
    expect(previousOf(history, result('api-read', 0.75), '2026-12-04T00:00:00.000Z')).toMatchObject({
      throughput_ratio: 0.7,
      system_per_s: 70,
      baseline_per_s: 100,
    });
    expect(previousOf(history, result('bot', 0.6), '2026-12-04T00:00:00.000Z')).toBeUndefined();
  });

  it('skips a line cut by an interrupted write and keeps the rest', async () => {
    const file = join(dir, 'cut.jsonl');
    await appendHistory(file, historyEntries([result('events', 0.5)], '2026-12-01T10:00:00.000Z', 'A'));
    await writeFile(file, `${await readFile(file, 'utf8')}{"date":"2026-12-02`, { flag: 'w' });
    expect((await readHistory(file)).map((entry) => entry.throughput_ratio)).toEqual([0.5]);
  });
});
