/**
 * api read path, two comparisons in one run, every side its own built process loaded by wrk (a native
 * generator), one side at a time in rotating rounds (the ratio is that of the medians):
 * 1. `GET /api/v1/users/me` with an access JWT and a warm profile cache (JWT, a Redis GET, hooks, the
 *    access log line, schema serialization) vs a bare Fastify route answering the same JSON.
 * 2. The same route with every profile read missing the cache (JWT, Redis miss, the data-postgres hop
 *    with the service token, Redis SET) vs calling data-postgres's `GET /users/:id` directly.
 * Cache misses without a client in the loop: a second api keeps profiles for 1 s
 * (USER_CACHE_TTL_SECONDS=1) and wrk walks through 9000 users in order, so a user comes back only
 * seconds later; the api's own cache counters give the share of misses, printed in the notes.
 * `FLOTILLA_BENCH_CPU_PROF=<dir>` profiles the api and data-postgres processes (`--cpu-prof`) and
 * prints the figures instead of recording them.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type BenchProcess, benchFolder, buildWorkspace, startFixture } from '../lib/built-service.js';
import { startHttpStack } from '../lib/http-stack.js';
import { compare, type Measurement, median, medianOfRounds, type Scenario } from '../lib/measure.js';
import { cpuBetween, endedChildrenCpuSeconds, type ProcessGroup, snapshotCpu } from '../lib/process-cpu.js';
import { rotateRounds, wrkMeasurement } from '../lib/rounds.js';
import type { RotatedRequest } from '../lib/wrk.js';

const HOT_USERS = 300;
const CACHED_CONNECTIONS = 300;
const COLD_USERS = 9000;
const UNCACHED_CONNECTIONS = 64;
const LOG_LEVEL = process.env.FLOTILLA_BENCH_LOG_LEVEL ?? 'info';

/**
 * The other processes a side's requests cost, on the same cores: Redis (the cache) and PostgreSQL
 * (behind data-postgres); the load generator is counted once its run has ended. Their CPU is spent
 * whatever the api does.
 */
const SHARED_PROCESSES: Record<string, ProcessGroup> = {
  redis: { commandLine: /^(\S*\/)?redis-server / },
  postgres: { commandLine: /^postgres: / },
};

/** One side of a round: what wrk drives and which processes' CPU time it costs. */
interface Side {
  key: string;
  label: string;
  url: string;
  connections: number;
  rotate: RotatedRequest[];
  headers?: Record<string, string>;
  processes: BenchProcess[];
}

async function cacheCounts(api: BenchProcess): Promise<{ hit: number; miss: number }> {
  const text = await fetch(api.url('/metrics')).then((response) => response.text());
  const count = (result: string) =>
    Number(
      new RegExp(`cache_requests_total\\{cache="user",result="${result}"[^}]*\\} (\\d+)`).exec(text)?.[1] ??
        0,
    );
  return { hit: count('hit'), miss: count('miss') };
}

const scenario: Scenario = {
  name: 'api-read',
  description: `api GET /api/v1/users/me (JWT + Redis cache hit, ${HOT_USERS} users, wrk ${CACHED_CONNECTIONS} connections) vs a bare Fastify route returning the same JSON; uncached (JWT, Redis miss, data-postgres hop, Redis SET; ${COLD_USERS} users in turn, wrk ${UNCACHED_CONNECTIONS} connections) vs data-postgres GET /users/:id called directly. Every side its own process (node dist/main.js, NODE_ENV=production, LOG_LEVEL=${LOG_LEVEL}, logs to a file), loaded one at a time in rotating rounds; ratio of the medians.`,
  async run({ quick }) {
    buildWorkspace();
    const folder = await benchFolder();
    const profileDir = process.env.FLOTILLA_BENCH_CPU_PROF;
    const stack = await startHttpStack({
      logDir: folder.path,
      logLevel: LOG_LEVEL,
      ...(profileDir ? { dataPostgresProfileDir: join(profileDir, 'data-postgres') } : {}),
    });
    let bare: BenchProcess | undefined;
    try {
      const api = await stack.startApi('api', {}, profileDir && join(profileDir, 'api'));
      const apiUncached = await stack.startApi(
        'api-uncached',
        { USER_CACHE_TTL_SECONDS: '1' },
        profileDir && join(profileDir, 'api-uncached'),
      );
      const hot = await stack.seedUsers(HOT_USERS);
      const cold = await stack.seedUsers(COLD_USERS);
      const first = hot[0] as (typeof hot)[number];
      const profile = await fetch(api.url('/api/v1/users/me'), {
        headers: { authorization: `Bearer ${first.accessToken}` },
      }).then((response) => response.json());
      bare = await startFixture(
        'bare-fastify-json.mjs',
        { PATH: process.env.PATH, BARE_JSON: JSON.stringify(profile) },
        { logDir: folder.path, readyPath: '/me' },
      );
      const serviceAuth = { authorization: `Bearer ${stack.serviceToken}` };
      const sides: Side[] = [
        {
          key: 'cached',
          label: 'api GET /users/me (JWT + cache hit)',
          url: api.url('/api/v1/users/me'),
          connections: CACHED_CONNECTIONS,
          rotate: hot.map((user) => ({
            path: '/api/v1/users/me',
            headers: { authorization: `Bearer ${user.accessToken}` },
          })),
          processes: [api],
        },
        {
          key: 'bare',
          label: 'bare Fastify route, same JSON',
          url: bare.url('/me'),
          connections: CACHED_CONNECTIONS,
          rotate: [],
          processes: [bare],
        },
        {
          key: 'uncached',
          label: 'api GET /users/me (cache miss: data-postgres hop)',
          url: apiUncached.url('/api/v1/users/me'),
          connections: UNCACHED_CONNECTIONS,
          rotate: cold.map((user) => ({
            path: '/api/v1/users/me',
            headers: { authorization: `Bearer ${user.accessToken}` },
          })),
          processes: [apiUncached, stack.dataPostgres],
        },
        {
          key: 'direct',
          label: 'data-postgres GET /users/:id directly',
          url: stack.dataPostgres.url('/api/v1/users'),
          connections: UNCACHED_CONNECTIONS,
          rotate: cold.map((user) => ({ path: `/api/v1/users/${user.id}` })),
          headers: serviceAuth,
          processes: [stack.dataPostgres],
        },
      ];
      const cpuPerRequest = new Map<string, number[]>();
      const sharedPerRequest = new Map<string, Array<Record<string, number>>>();
      const round = async (side: Side, seconds: number): Promise<Measurement> => {
        const before = side.processes.map((process) => process.cpuSeconds());
        const sharedBefore = snapshotCpu(SHARED_PROCESSES);
        const wrkBefore = endedChildrenCpuSeconds();
        const measured = await wrkMeasurement(side.label, {
          url: side.url,
          method: 'GET',
          connections: side.connections,
          durationSeconds: seconds,
          rotate: side.rotate,
          ...(side.headers ? { headers: side.headers } : {}),
        });
        const cpu = side.processes.reduce(
          (sum, process, index) => sum + process.cpuSeconds() - (before[index] ?? 0),
          0,
        );
        const list = cpuPerRequest.get(side.key) ?? [];
        list.push((1e6 * cpu) / Math.max(1, measured.operations));
        cpuPerRequest.set(side.key, list);
        // cpuBetween gives milliseconds per request: 1000 times that is microseconds.
        const shared = cpuBetween(
          sharedBefore,
          snapshotCpu(SHARED_PROCESSES),
          Math.max(1, measured.operations),
        );
        shared.wrk = (1000 * (endedChildrenCpuSeconds() - wrkBefore)) / Math.max(1, measured.operations);
        sharedPerRequest.set(side.key, [...(sharedPerRequest.get(side.key) ?? []), shared]);
        return measured;
      };
      const describeShared = (key: string) => {
        const rounds = sharedPerRequest.get(key) ?? [];
        return [...Object.keys(SHARED_PROCESSES), 'wrk']
          .map((name) => `${name} ${Math.round(1000 * median(rounds.map((entry) => entry[name] ?? 0)))}`)
          .join(' + ');
      };
      // Warm-up (JIT, pools, the hot profiles into the cache), not measured.
      await rotateRounds(1, sides, (side) => round(side, 3));
      cpuPerRequest.clear();
      sharedPerRequest.clear();
      const loadBefore = loadavg();
      const countsBefore = await cacheCounts(apiUncached);
      const [cached = [], baseline = [], uncached = [], direct = []] = await rotateRounds(
        quick ? 2 : 5,
        sides,
        (side) => round(side, quick ? 4 : 10),
      );
      const countsAfter = await cacheCounts(apiUncached);
      const loadAfter = loadavg();
      const misses = countsAfter.miss - countsBefore.miss;
      const hits = countsAfter.hit - countsBefore.hit;
      const perRound = (rounds: Measurement[]) =>
        rounds.map((entry) => Math.round(entry.throughput_per_s)).join(', ');
      const errors = (rounds: Measurement[]) => rounds.reduce((sum, entry) => sum + entry.errors, 0);
      const notes = [
        `Requests/s per round: cached ${perRound(cached)}; bare ${perRound(baseline)}; uncached ${perRound(uncached)}; direct ${perRound(direct)}. Non-200 answers or socket errors: ${errors(cached)}, ${errors(baseline)}, ${errors(uncached)}, ${errors(direct)}.`,
        `CPU per request (median of rounds): ${[...cpuPerRequest].map(([key, values]) => `${key} ${Math.round(median(values))} µs`).join(', ')} (uncached counts the api and data-postgres).`,
        `CPU per request of the processes around them, in µs: ${sides.map((side) => `${side.key} ${describeShared(side.key)}`).join('; ')}.`,
        `Uncached api: ${misses} cache misses, ${hits} hits (${((100 * misses) / Math.max(1, misses + hits)).toFixed(1)}% misses).`,
        `Load average (1 min) ${loadBefore[0]?.toFixed(1)} before the rounds, ${loadAfter[0]?.toFixed(1)} after (other work on the machine). Idle RSS is in the footprint scenario; api RSS after the run ${api.rssMb()} MB.`,
      ];
      if (profileDir) {
        console.log(
          `   profiled run, not recorded: ${[`cached ${medianOfRounds(cached, '').throughput_per_s}/s, bare ${medianOfRounds(baseline, '').throughput_per_s}/s, uncached ${medianOfRounds(uncached, '').throughput_per_s}/s, direct ${medianOfRounds(direct, '').throughput_per_s}/s.`, ...notes].join(' ')}`,
        );
        return [];
      }
      return [
        compare(
          'api-read/me-cached',
          scenario.description,
          medianOfRounds(cached, `${sides[0]?.label} (wrk)`),
          medianOfRounds(baseline, `${sides[1]?.label} (wrk)`),
          {
            concurrency: CACHED_CONNECTIONS,
            notes,
          },
        ),
        compare(
          'api-read/me-uncached',
          scenario.description,
          medianOfRounds(uncached, `${sides[2]?.label} (wrk)`),
          medianOfRounds(direct, `${sides[3]?.label} (wrk)`),
          {
            concurrency: UNCACHED_CONNECTIONS,
            notes,
          },
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
