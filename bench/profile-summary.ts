/**
 * `tsx bench/profile-summary.ts <file.cpuprofile> [--top 25]`: where a V8 CPU profile (`node
 * --cpu-prof`) spent its time: the top functions by self time, and self time by package (a
 * `node_modules/<package>`, `node:` internals, the project's own files, GC and idle), as shares of
 * the busy (non-idle) samples. `--after <seconds>` counts only the samples taken that long after the
 * profile started (leaves out start-up, to see the cost per request of a loaded service).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package a script URL belongs to. */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1] as string;
  const own = /\/(packages|services)\/([^/]+)\//.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\/.*?node_modules\//, '')
    .replace(/^file:\/\/.*?\/(packages|services)\//, '$1/');
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, after: { type: 'string', default: '0' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--top N] [--after seconds]');
const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfByFunction = new Map<string, number>();
const selfByPackage = new Map<string, number>();
let busy = 0;
let idle = 0;
let elapsed = 0;
const afterMicros = Number(values.after) * 1e6;
profile.samples.forEach((id, index) => {
  const node = byId.get(id);
  const delta = profile.timeDeltas[index] ?? 0;
  elapsed += delta;
  if (!node || elapsed < afterMicros) return;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === '(idle)') {
    idle += delta;
    return;
  }
  busy += delta;
  const key = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
  selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + delta);
  const pkg = packageOf(url, functionName);
  selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + delta);
});
const top = Number(values.top);
const share = (micros: number) => `${((100 * micros) / busy).toFixed(1).padStart(5)}%`;
console.log(`busy ${(busy / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s`);
console.log('\nself time by package:');
for (const [name, micros] of [...selfByPackage].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${share(micros)}  ${name}`);
console.log('\nself time by function:');
for (const [name, micros] of [...selfByFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${share(micros)}  ${name}`);
