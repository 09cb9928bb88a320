/**
 * data-postgres read path: `GET /api/v1/users/:id` through the real service (built, its own process,
 * service token, info logs to a file) vs the least a process can do to serve the same row over HTTP
 * (`bench/fixtures/bare-pg-http.mjs`: node:http, a raw pg pool, the primary-key query, JSON.stringify).
 * Both are driven by wrk with the same connections, the id changing with every request (a Lua list),
 * both pools of the same size, on the same database and rows; one side at a time in rotating rounds,
 * the ratio being that of the medians. The gap is what the service adds: routing, the token check,
 * validation, the query builder, mapping, serialization, metrics and the access log line.
 * `FLOTILLA_BENCH_CPU_PROF=<dir>` profiles data-postgres (`--cpu-prof`) and prints the figures instead.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type BenchProcess, benchFolder, buildWorkspace, startFixture } from '../lib/built-service.js';
import { startHttpStack } from '../lib/http-stack.js';
import { compare, type Measurement, median, medianOfRounds, type Scenario } from '../lib/measure.js';
import { rotateRounds, wrkMeasurement } from '../lib/rounds.js';
import type { RotatedRequest } from '../lib/wrk.js';

const USERS = 1000;
const CONNECTIONS = 16;
const POOL_SIZE = 10;
const LOG_LEVEL = process.env.FLOTILLA_BENCH_LOG_LEVEL ?? 'info';

interface Side {
  key: string;
  label: string;
  url: string;
  rotate: RotatedRequest[];
  headers?: Record<string, string>;
  process: BenchProcess;
}

const scenario: Scenario = {
  name: 'data-postgres',
  description: `data-postgres GET /api/v1/users/:id (built, own process, service token, LOG_LEVEL=${LOG_LEVEL}) vs a bare node:http server running the same primary-key query with raw pg; wrk, ${CONNECTIONS} connections, a different id of ${USERS} seeded users each request, pools of ${POOL_SIZE} on both sides, rotating rounds, ratio of the medians.`,
  async run({ quick }) {
    buildWorkspace();
    const folder = await benchFolder();
    const profileDir = process.env.FLOTILLA_BENCH_CPU_PROF;
    const stack = await startHttpStack({
      logDir: folder.path,
      logLevel: LOG_LEVEL,
      dataPostgresEnv: { POSTGRES_POOL_MAX: String(POOL_SIZE) },
      ...(profileDir ? { dataPostgresProfileDir: join(profileDir, 'data-postgres') } : {}),
    });
    let bare: BenchProcess | undefined;
    try {
      const users = await stack.seedUsers(USERS);
      bare = await startFixture(
        'bare-pg-http.mjs',
        { PATH: process.env.PATH, POSTGRES_URL: stack.databaseUrl, POOL_SIZE: String(POOL_SIZE) },
        { logDir: folder.path, readyPath: '/ready' },
      );
      const sides: Side[] = [
        {
          key: 'service',
          label: 'data-postgres GET /users/:id',
          url: stack.dataPostgres.url('/api/v1/users'),
          rotate: users.map((user) => ({ path: `/api/v1/users/${user.id}` })),
          headers: { authorization: `Bearer ${stack.serviceToken}` },
          process: stack.dataPostgres,
        },
        {
          key: 'bare',
          label: 'bare node:http + raw pg, same query',
          url: bare.url('/users'),
          rotate: users.map((user) => ({ path: `/users/${user.id}` })),
          process: bare,
        },
      ];
      const cpuPerRequest = new Map<string, number[]>();
      const round = async (side: Side, seconds: number): Promise<Measurement> => {
        const before = side.process.cpuSeconds();
        const measured = await wrkMeasurement(side.label, {
          url: side.url,
          method: 'GET',
          connections: CONNECTIONS,
          durationSeconds: seconds,
          rotate: side.rotate,
          ...(side.headers ? { headers: side.headers } : {}),
        });
        const list = cpuPerRequest.get(side.key) ?? [];
        list.push((1e6 * (side.process.cpuSeconds() - before)) / Math.max(1, measured.operations));
        cpuPerRequest.set(side.key, list);
        return measured;
      };
      await rotateRounds(1, sides, (side) => round(side, 3));
      cpuPerRequest.clear();
      const loadBefore = loadavg();
      const [system = [], baseline = []] = await rotateRounds(quick ? 2 : 5, sides, (side) =>
        round(side, quick ? 4 : 10),
      );
      const loadAfter = loadavg();
      const perRound = (rounds: Measurement[]) =>
        rounds.map((entry) => Math.round(entry.throughput_per_s)).join(', ');
      const notes = [
        `Requests/s per round: service ${perRound(system)}; bare ${perRound(baseline)}. Non-200 answers or socket errors: ${system.reduce((sum, entry) => sum + entry.errors, 0)}, ${baseline.reduce((sum, entry) => sum + entry.errors, 0)}.`,
        `CPU per request (median of rounds): ${[...cpuPerRequest].map(([key, values]) => `${key} ${Math.round(median(values))} µs`).join(', ')} (the Node process only; PostgreSQL's share is the same on both sides).`,
        `Service RSS after the run ${stack.dataPostgres.rssMb()} MB. Load average (1 min) ${loadBefore[0]?.toFixed(1)} before the rounds, ${loadAfter[0]?.toFixed(1)} after (other work on the machine).`,
      ];
      const systemMedian = medianOfRounds(system, `${sides[0]?.label} (wrk)`);
      systemMedian.rss_mb = stack.dataPostgres.rssMb();
      if (profileDir) {
        console.log(`   profiled run, not recorded: ${notes.join(' ')}`);
        return [];
      }
      return [
        compare(
          'data-postgres/get-user',
          scenario.description,
          systemMedian,
          medianOfRounds(baseline, `${sides[1]?.label} (wrk)`),
          { concurrency: CONNECTIONS, notes },
        ),
      ];
    } finally {
      await bare?.stop();
      await stack.stop();
      await folder.remove();
    }
  },
};

export default scenario;
