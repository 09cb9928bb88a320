import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Component, InfraContext } from '../../scripts/infra/component.js';
import { jaeger } from '../../scripts/infra/components/jaeger.js';
import { prometheus } from '../../scripts/infra/components/prometheus.js';
import { isAlive, spawnDetached, stopProcessGroup } from '../../scripts/infra/processes.js';
import { OBSERVABILITY_COMPONENTS } from '../../scripts/infra/registry.js';
import { freePort } from '../../tests/e2e/helpers/service-process.js';
import { infraToolContext } from '../../tests/support/infra-tools.js';

// The optional components of `infra up --observability`, started the way the infrastructure script
// starts them (prepare -> detached process -> readiness probe), but in a scratch data directory and
// on free ports, so the shared infrastructure is never touched.

let ctx: InfraContext;
let scratch: string;
const pids: number[] = [];

beforeAll(async () => {
  ctx = infraToolContext();
  scratch = await mkdtemp(join(tmpdir(), 'flotilla-observability-'));
  ctx.config.dataDir = scratch;
  ctx.config.logsDir = scratch;
  ctx.config.ports.jaegerUi = await freePort();
  ctx.config.ports.jaegerOtlp = await freePort();
  ctx.config.ports.prometheus = await freePort();
}, 60_000);

afterAll(async () => {
  for (const pid of pids) if (isAlive(pid)) await stopProcessGroup(pid, 'SIGTERM', 10_000);
  await rm(scratch, { recursive: true, force: true });
});

async function startComponent(component: Component): Promise<string> {
  await component.install(ctx);
  const spec = await component.prepare(ctx);
  pids.push(await spawnDetached(spec));
  const url = component.localUrl(ctx);
  const deadline = Date.now() + 60_000;
  while (!(await component.isReady(ctx, url))) {
    if (Date.now() > deadline) throw new Error(`${component.name} was not ready at ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return url;
}

describe('infra up --observability components', () => {
  it('are Jaeger, the three exporters and Prometheus, none of them started by plain `up`', () => {
    expect(OBSERVABILITY_COMPONENTS.map((component) => component.name)).toEqual([
      'jaeger',
      'node-exporter',
      'postgres-exporter',
      'redis-exporter',
      'prometheus',
    ]);
  });

  it('Jaeger starts from the tools cache, answers its query API and reports its OTLP URL', async () => {
    const url = await startComponent(jaeger);
    expect(await jaeger.version(ctx, url)).toContain('v1.75.0');
    expect(jaeger.extraEnv?.(ctx, false)).toEqual({
      JAEGER_OTLP_URL: `http://127.0.0.1:${ctx.config.ports.jaegerOtlp}`,
    });
  }, 1_800_000);

  it('Prometheus starts with the generated configuration and loads the alert rules', async () => {
    const url = await startComponent(prometheus);
    expect(await prometheus.version(ctx, url)).toMatch(/^Prometheus \d+\.\d+/);
    const rules = (await (await fetch(`${url}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string }> }> };
    };
    expect(rules.data.groups.flatMap((group) => group.rules.map((rule) => rule.name))).toContain(
      'ServiceDown',
    );
    const expected = [
      'api',
      'worker',
      'data-postgres',
      'data-mongo',
      'bot',
      'node',
      'postgres',
      'redis',
      'rabbitmq',
    ];
    let jobs = new Set<string>();
    const deadline = Date.now() + 30_000;
    // Targets are discovered shortly after start.
    while (expected.some((job) => !jobs.has(job)) && Date.now() < deadline) {
      const targets = (await (await fetch(`${url}/api/v1/targets`)).json()) as {
        data: { activeTargets: Array<{ labels: { job: string } }> };
      };
      jobs = new Set(targets.data.activeTargets.map((target) => target.labels.job));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const job of [
      'api',
      'worker',
      'data-postgres',
      'data-mongo',
      'bot',
      'node',
      'postgres',
      'redis',
      'rabbitmq',
    ]) {
      expect(jobs.has(job), job).toBe(true);
    }
  }, 300_000);
});
