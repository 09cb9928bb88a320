import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  alertRuleFiles,
  nativeServiceJobs,
  renderPrometheusConfig,
} from '../../scripts/infra/components/prometheus.js';
import { run } from '../../scripts/infra/exec.js';
import { ensureDebianTool } from '../../tests/support/infra-tools.js';

// The Prometheus configurations and alert rules are checked by promtool (Debian's `prometheus`),
// and every alert has a unit test in infrastructure/observability/prometheus/tests/.

const repoRoot = join(import.meta.dirname, '..', '..');
const prometheusDir = join(repoRoot, 'infrastructure', 'observability', 'prometheus');
let promtool: string;

beforeAll(async () => {
  promtool = await ensureDebianTool('promtool', 'prometheus');
}, 600_000);

async function promtoolRun(args: string[], cwd = prometheusDir) {
  const result = await run(promtool, args, { cwd, timeoutMs: 60_000 });
  return { code: result.code, output: `${result.stdout}${result.stderr}` };
}

describe('prometheus configuration and alert rules', () => {
  it('the compose configuration is valid and loads the alert rules', async () => {
    const { code, output } = await promtoolRun(['check', 'config', 'prometheus.yml']);
    expect(code, output).toBe(0);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('the configuration the infrastructure script writes for native services is valid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-prometheus-'));
    try {
      const file = join(dir, 'prometheus.yml');
      await writeFile(
        file,
        renderPrometheusConfig({
          jobs: nativeServiceJobs({}, '127.0.0.1'),
          ruleFiles: alertRuleFiles(repoRoot),
          scrapeIntervalSeconds: 5,
          alertmanagers: ['127.0.0.1:9093'],
        }),
      );
      const { code, output } = await promtoolRun(['check', 'config', file]);
      expect(code, output).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the alert rules are valid', async () => {
    const { code, output } = await promtoolRun(['check', 'rules', 'rules/flotilla.alerts.yml']);
    expect(code, output).toBe(0);
  });

  it('every alert passes its unit tests, and every alert has one', async () => {
    const { code, output } = await promtoolRun(
      ['test', 'rules', 'flotilla.alerts.test.yml'],
      join(prometheusDir, 'tests'),
    );
    expect(code, output).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const rules = await readFile(join(prometheusDir, 'rules', 'flotilla.alerts.yml'), 'utf8');
    const tests = await readFile(join(prometheusDir, 'tests', 'flotilla.alerts.test.yml'), 'utf8');
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((match) => match[1]);
    const tested = new Set([...tests.matchAll(/alertname: (\w+)/g)].map((match) => match[1]));
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    expect(alerts.filter((alert) => !tested.has(alert))).toEqual([]);
  });

  it('a broken rule is reported by promtool (the check can fail)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-rules-'));
    try {
      await writeFile(
        join(dir, 'broken.yml'),
        'groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum by (service (up)\n',
      );
      const { code } = await promtoolRun(['check', 'rules', join(dir, 'broken.yml')]);
      expect(code).not.toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
