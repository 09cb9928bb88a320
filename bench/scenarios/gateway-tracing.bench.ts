/**
 * Cost of the native gateway's tracing (infrastructure/nginx/lua/flotilla/gateway_tracing.lua), in one
 * run: two nginx gateways with the project's config in front of the same bare upstream
 * (`fixtures/bare-upstream.mjs`, node:http with a fixed JSON answer), one without tracing, one with it
 * as `npm run infra -- up --observability` renders it (every trace recorded, exported to a local
 * Jaeger) and one sampling a tenth of the traces it begins. wrk loads `GET /api/v1/users/me` through each in turn, in rotating rounds; the ratio is that
 * of the medians. The CPU per request of the gateway (master and workers), the upstream and Jaeger is
 * read from /proc next to it.
 */
import { loadavg } from 'node:os';
import { startTestGateway, type TestGateway } from '../../tests/e2e/helpers/gateway.js';
import { freePort } from '../../tests/e2e/helpers/service-process.js';
import { startTestJaeger } from '../../tests/support/jaeger.js';
import { type BenchProcess, benchFolder, startFixture } from '../lib/built-service.js';
import { compare, type Measurement, median, medianOfRounds, type Scenario } from '../lib/measure.js';
import { cpuBetween, snapshotCpu } from '../lib/process-cpu.js';
import { rotateRounds, wrkMeasurement } from '../lib/rounds.js';

const CONNECTIONS = 32;
/** The lower sampling ratio also measured, as the tracing scenario does for the api. */
const LOW_RATIO = 0.1;

interface Side {
  label: string;
  gateway: TestGateway;
}

const scenario: Scenario = {
  name: 'gateway-tracing',
  description: `The native gateway with its tracing on (every trace recorded, exported to a local Jaeger on the same cores; also at a ratio of ${LOW_RATIO}) vs off: nginx with the project's config in front of a bare node:http upstream, GET /api/v1/users/me (wrk, ${CONNECTIONS} connections), in alternating rounds.`,
  async run({ quick }) {
    const folder = await benchFolder();
    const jaeger = await startTestJaeger();
    let upstream: BenchProcess | undefined;
    const sides: Side[] = [];
    try {
      upstream = await startFixture('bare-upstream.mjs', {}, { logDir: folder.path, readyPath: '/' });
      const port = upstream.port;
      sides.push({ label: 'untraced', gateway: await startTestGateway(await freePort(), [port]) });
      for (const [label, sampleRatio] of [
        ['traced', 1],
        [`traced ${LOW_RATIO}`, LOW_RATIO],
      ] as const) {
        sides.push({
          label,
          gateway: await startTestGateway(await freePort(), [port], {
            tracing: { otlpUrl: jaeger.otlpUrl, sampleRatio, instance: 'bench', environment: 'bench' },
          }),
        });
      }
      const cpu = new Map<string, { gateway: number[]; upstream: number[]; jaeger: number[] }>();
      const round = async (side: Side, seconds: number): Promise<Measurement> => {
        const groups = {
          gateway: { withChildren: side.gateway.pid },
          upstream: { pid: upstream?.child.pid },
          jaeger: { pid: jaeger.pid },
        };
        const before = snapshotCpu(groups);
        const { wrk: _load, ...measured } = await wrkMeasurement(
          `gateway GET /api/v1/users/me, ${side.label} (wrk, ${CONNECTIONS} connections)`,
          {
            url: `${side.gateway.url}/api/v1/users/me`,
            method: 'GET',
            connections: CONNECTIONS,
            durationSeconds: seconds,
          },
        );
        // Milliseconds per request from cpuBetween, kept in µs.
        const perRequest = cpuBetween(before, snapshotCpu(groups), Math.max(1, measured.operations));
        const entry = cpu.get(side.label) ?? { gateway: [], upstream: [], jaeger: [] };
        entry.gateway.push(1000 * (perRequest.gateway ?? 0));
        entry.upstream.push(1000 * (perRequest.upstream ?? 0));
        entry.jaeger.push(1000 * (perRequest.jaeger ?? 0));
        cpu.set(side.label, entry);
        return measured;
      };
      const loadBefore = loadavg();
      await rotateRounds(1, sides, (side) => round(side, 3)); // warm-up, not measured
      cpu.clear();
      const [off = [], on = [], tenth = []] = await rotateRounds(quick ? 2 : 5, sides, (side) =>
        round(side, quick ? 5 : 10),
      );
      const loadAfter = loadavg();
      const perRound = (rounds: Measurement[]) =>
        rounds.map((entry) => Math.round(entry.throughput_per_s)).join(', ');
      const notes = [
        'The gateway records and exports one span per request; the upstream does no tracing. Jaeger runs on the same 2 cores.',
        `Requests/s per round, off: ${perRound(off)}; on: ${perRound(on)}; ratio ${LOW_RATIO}: ${perRound(tenth)}.`,
        `CPU per request (median of rounds): ${[...cpu].map(([label, entry]) => `${label}: nginx ${Math.round(median(entry.gateway))} µs, upstream ${Math.round(median(entry.upstream))} µs, Jaeger ${Math.round(median(entry.jaeger))} µs`).join('; ')}.`,
        `Load average (1 min) ${loadBefore[0]?.toFixed(1)} before the rounds, ${loadAfter[0]?.toFixed(1)} after (other work on the machine).`,
      ];
      return [
        compare(
          'gateway-tracing/read',
          scenario.description,
          medianOfRounds(on, 'gateway GET /api/v1/users/me, traced (wrk)'),
          medianOfRounds(off, 'gateway GET /api/v1/users/me, untraced (wrk)'),
          { concurrency: CONNECTIONS, notes },
        ),
        compare(
          `gateway-tracing/read-ratio-${LOW_RATIO}`,
          scenario.description,
          medianOfRounds(tenth, `gateway GET /api/v1/users/me, sampled at ${LOW_RATIO} (wrk)`),
          medianOfRounds(off, 'gateway GET /api/v1/users/me, untraced (wrk)'),
          { concurrency: CONNECTIONS, notes },
        ),
      ];
    } finally {
      for (const side of sides) await side.gateway.stop();
      await upstream?.stop();
      await jaeger.stop();
      await folder.remove();
    }
  },
};

export default scenario;
