/**
 * `npm run bench [-- --quick] [-- --only <name>]`: runs every scenario in bench/scenarios/, each
 * measuring the system and its baseline in the same run, and writes the results as JSON and as a
 * Markdown table under bench/results/ (`latest.json`, `latest.md`, plus a dated copy). A full run
 * (not `--quick`) also appends its comparisons to `history.jsonl`, and the table shows each ratio next
 * to the previous measurement of the same comparison.
 * Scenarios need the local infrastructure (`npm run infra -- up`); only loopback is targeted. On a
 * machine whose Node is older than 22, the run moves to Node 24 from the npm registry, as `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readInfraEnv } from '../scripts/infra/env-file.js';
import { reRunOnSupportedNode } from '../scripts/lib/node-lines.js';
import { appendHistory, type HistoryEntry, historyEntries, previousOf, readHistory } from './lib/history.js';
import type { Scenario, ScenarioResult } from './lib/measure.js';

/** A comparison in the results file, with when it was measured (a partial run keeps older ones). */
type ReportedResult = ScenarioResult & { measured_at?: string };

const benchDir = import.meta.dirname;
const repoRoot = join(benchDir, '..');
// The services are measured on the Node line their images run (24), not on an older machine Node.
await reRunOnSupportedNode(repoRoot, 'npm run bench');
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    render: { type: 'boolean', default: false },
  },
});

function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memory_gb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

function machineLabel(info: ReturnType<typeof machine>): string {
  return `${info.cpu}, ${info.cores} cores, ${info.memory_gb} GiB, Node ${info.node}`;
}

/** "0.63 (2026-12-01)", plus the machine when it differs from this run's. */
function previousCell(previous: HistoryEntry | undefined, machineNow: string): string {
  if (!previous) return '–';
  const where = previous.machine === machineNow ? '' : `, ${previous.machine}`;
  return `${previous.throughput_ratio} (${previous.date.slice(0, 10)}${where})`;
}

function toMarkdown(
  results: ReportedResult[],
  info: ReturnType<typeof machine>,
  date: string,
  history: readonly HistoryEntry[],
): string {
  const machineNow = machineLabel(info);
  const lines = [
    `# Benchmarks — ${date}`,
    '',
    `Machine: ${info.cpu}, ${info.cores} cores, ${info.memory_gb} GiB, Node ${info.node} (${info.platform}).`,
    '"previous" is the same comparison\'s last measurement before this one (`history.jsonl`).',
    '',
    '| Scenario | Subject | ops | ops/s | p50 ms | p99 ms | RSS MB | throughput ratio | previous | p99 ratio |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const result of results) {
    const previous = previousOf(history, result, result.measured_at ?? date);
    for (const [subject, ratio] of [
      [result.system, `${result.throughput_ratio}`],
      [result.baseline, ''],
    ] as const) {
      const first = subject === result.system;
      lines.push(
        `| ${first ? result.scenario : ''} | ${subject.label} | ${subject.operations} | ${subject.throughput_per_s} | ${subject.p50_ms} | ${subject.p99_ms} | ${subject.rss_mb ?? ''} | ${ratio} | ${first ? previousCell(previous, machineNow) : ''} | ${first ? result.p99_ratio : ''} |`,
      );
    }
  }
  lines.push('');
  for (const result of results) {
    lines.push(
      `- **${result.scenario}**: ${result.description}${result.notes ? ` ${result.notes.join(' ')}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `--render`: writes `latest.md` again from `latest.json` and the history, measuring nothing (after
 * results of separate runs were put together, e.g. by a merge).
 */
async function render(): Promise<void> {
  const report = JSON.parse(await readFile(join(benchDir, 'results', 'latest.json'), 'utf8')) as {
    date: string;
    machine: ReturnType<typeof machine>;
    results: ReportedResult[];
  };
  const history = await readHistory(join(benchDir, 'results', 'history.jsonl'));
  await writeFile(
    join(benchDir, 'results', 'latest.md'),
    toMarkdown(report.results, report.machine, report.date, history),
  );
  console.log(`wrote bench/results/latest.md from latest.json (${report.results.length} comparisons)`);
}

async function main(): Promise<void> {
  if (values.render) return render();
  // The HTTP scenarios load the services with wrk: say so at once rather than fail each scenario.
  if (spawnSync('wrk', ['--version']).error) {
    console.error('wrk is not installed: `apt-get install wrk` (Debian package), then run this again.');
    process.exit(1);
  }
  for (const [key, value] of Object.entries(await readInfraEnv(repoRoot))) process.env[key] ??= value;
  const files = (await readdir(join(benchDir, 'scenarios')))
    .filter((file) => file.endsWith('.bench.ts'))
    .sort();
  const results: ScenarioResult[] = [];
  let failed = 0;
  for (const file of files) {
    const scenario = (await import(join(benchDir, 'scenarios', file))).default as Scenario;
    if (values.only && !values.only.includes(scenario.name)) continue;
    console.log(`── ${scenario.name}: ${scenario.description}`);
    try {
      const produced = await scenario.run({ quick: values.quick });
      for (const result of produced) {
        console.log(
          `   ${result.scenario}: system ${result.system.throughput_per_s}/s p99 ${result.system.p99_ms} ms | baseline ${result.baseline.throughput_per_s}/s p99 ${result.baseline.p99_ms} ms | ratio ${result.throughput_ratio}`,
        );
      }
      results.push(...produced);
    } catch (error) {
      failed += 1;
      console.error(`   ${scenario.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const info = machine();
  const date = new Date().toISOString();
  const measured: ReportedResult[] = results.map((result) => ({ ...result, measured_at: date }));
  const merged = values.only ? await mergeWithLatest(measured) : measured;
  const report = { date, machine: info, quick: values.quick, results: merged };
  const stamp = date.slice(0, 19).replaceAll(':', '-');
  const historyFile = join(benchDir, 'results', 'history.jsonl');
  const history = await readHistory(historyFile);
  if (!values.quick) await appendHistory(historyFile, historyEntries(results, date, machineLabel(info)));
  await writeFile(join(benchDir, 'results', 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(benchDir, 'results', 'latest.md'), toMarkdown(merged, info, date, history));
  await writeFile(join(benchDir, 'results', `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `wrote bench/results/latest.json and latest.md (${results.length} comparisons measured${values.only ? `, ${merged.length - results.length} kept from the previous run` : ''}, ${failed} scenarios failed)`,
  );
  process.exitCode = failed > 0 ? 1 : 0;
}

/**
 * With `--only`, the comparisons measured now replace those of the same name in `latest.json`; the
 * others are kept, so a partial run never drops the rest of the table.
 */
async function mergeWithLatest(fresh: ReportedResult[]): Promise<ReportedResult[]> {
  let previous: ReportedResult[] = [];
  try {
    // A kept result is dated by its own entry in the history (see `previousOf`).
    previous = (
      JSON.parse(await readFile(join(benchDir, 'results', 'latest.json'), 'utf8')) as {
        results: ReportedResult[];
      }
    ).results;
  } catch {
    // no previous run
  }
  const names = new Set(fresh.map((result) => result.scenario));
  return [...previous.filter((result) => !names.has(result.scenario)), ...fresh];
}

await main();
