/**
 * Cost of tracing, in one run: copies of the same stack (api, worker, data-postgres, data-mongo as
 * their own processes) run side by side: one untraced (no TRACING_OTLP_URL: no SDK is loaded), one
 * traced with every trace recorded (TRACING_SAMPLE_RATIO=1, the default) and exported to a local
 * Jaeger, and one traced at TRACING_SAMPLE_RATIO=0.1 (read rounds only). Only one of them is under
 * load at a time; the order rotates each round, so load from elsewhere on the machine weighs on every
 * side alike, and each ratio is that of the medians.
 * 1. api read: `GET /api/v1/users/me` with an access JWT and a warm profile cache (JWT, Redis GET,
 *    serialization), driven by wrk (a native generator: it does not compete for the event loop);
 * 2. photo pipeline: upload a 1600x1200 JPEG through the api and wait until the worker has finished
 *    the job, 2 at a time (a Node client: each operation polls its job).
 * `FLOTILLA_BENCH_CPU_PROF=<dir>` writes a CPU profile of each api process there (`--cpu-prof`) and
 * runs the read rounds only (a profiled run's figures are printed, not recorded).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createTestVhost } from '../../packages/platform/test/component/messaging-broker.js';
import { workerTestEnv } from '../../services/worker/test/support/worker-harness.js';
import {
  baseServiceEnv,
  freePort,
  type ServiceProcess,
  startService,
  waitUntilLive,
} from '../../tests/e2e/helpers/service-process.js';
import { isolatedRedisUrl, startDataServices } from '../../tests/support/data-services.js';
import { startTestJaeger } from '../../tests/support/jaeger.js';
import { cpuSecondsOf } from '../lib/built-service.js';
import { compare, type Measurement, median, medianOfRounds, runLoad, type Scenario } from '../lib/measure.js';
import { rotateRounds, wrkMeasurement } from '../lib/rounds.js';

const READ_CONNECTIONS = 32;
const PHOTO_CONCURRENCY = 2;
/** Starting a stack from source while other work loads the machine can take minutes. */
const START_TIMEOUT_MS = 180_000;
/** The sample ratio of the third stack (read rounds only). */
const LOW_RATIO = 0.1;

/** One stack of the run, idle unless a round drives it. */
interface Stack {
  label: string;
  api: ServiceProcess;
  token: string;
  stop(): Promise<void>;
}

async function stopProcess(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode !== null) return;
  service.child.kill('SIGTERM');
  await service.exited;
}

async function startStack(label: string, tracing: Record<string, string>): Promise<Stack> {
  const vhost = await createTestVhost(`bench-tracing-${label}`);
  const data = await startDataServices({
    env: { ...tracing, LOG_LEVEL: 'warn' },
    readyTimeoutMs: START_TIMEOUT_MS,
    rabbitmqUrl: vhost.url,
  });
  const redisUrl = isolatedRedisUrl(15);
  const profileDir = process.env.FLOTILLA_BENCH_CPU_PROF;
  const worker = startService('worker', await freePort(), {
    ...baseServiceEnv(),
    ...workerTestEnv(data, vhost.url),
    ...tracing,
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'warn',
    MEDIA_MAX_EDGE: '1024',
    MEDIA_MAX_INPUT_PIXELS: '20000000',
    MEDIA_CONCURRENCY: String(PHOTO_CONCURRENCY),
  });
  const api = startService(
    'api',
    await freePort(),
    {
      ...baseServiceEnv(),
      ...tracing,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATA_POSTGRES_URL: data.dataPostgresUrl,
      DATA_MONGO_URL: data.dataMongoUrl,
      DATA_SERVICE_TOKEN: data.tokens.api,
      RABBITMQ_URL: vhost.url,
      REDIS_URL: redisUrl,
      TRUST_PROXY: 'true',
      LOGIN_MAX_PER_IP: '1000000',
    },
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, label)}`] : [],
  );
  const stop = async () => {
    await Promise.all([stopProcess(api), stopProcess(worker)]);
    await vhost.remove();
    await data.stop();
  };
  try {
    await Promise.all([waitUntilLive(worker, START_TIMEOUT_MS), waitUntilLive(api, START_TIMEOUT_MS)]);
    const suffix = randomBytes(6).toString('hex');
    const credentials = { email: `bench-${suffix}@example.test`, password: `bench-password-${suffix}` };
    const headers = {
      'content-type': 'application/json',
      'x-forwarded-for': `10.${randomBytes(3).join('.')}`,
    };
    const registered = await fetch(api.url('/api/v1/auth/register'), {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...credentials, username: `bench_${suffix}` }),
    });
    if (registered.status !== 201) throw new Error(`register: ${registered.status}`);
    const login = await fetch(api.url('/api/v1/auth/login'), {
      method: 'POST',
      headers,
      body: JSON.stringify(credentials),
    });
    const token = ((await login.json()) as { access_token: string }).access_token;
    return { label, api, token, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** CPU microseconds per answered read, by side: a figure the machine's other load barely moves. */
const cpuPerRead = new Map<string, { api: number[]; jaeger: number[] }>();

/** One read round: wrk on the cached `GET /users/me` of `stack` for `seconds`. */
async function readRound(stack: Stack, seconds: number, jaegerPid?: number): Promise<Measurement> {
  const apiBefore = cpuSecondsOf(stack.api.child.pid);
  const jaegerBefore = cpuSecondsOf(jaegerPid);
  const { wrk: _load, ...measured } = await wrkMeasurement(
    `api GET /users/me, ${stack.label} (wrk, ${READ_CONNECTIONS} connections)`,
    {
      url: stack.api.url('/api/v1/users/me'),
      method: 'GET',
      headers: { authorization: `Bearer ${stack.token}` },
      connections: READ_CONNECTIONS,
      durationSeconds: seconds,
    },
  );
  const ok = measured.operations;
  const cpu = cpuPerRead.get(stack.label) ?? { api: [], jaeger: [] };
  cpu.api.push((1e6 * (cpuSecondsOf(stack.api.child.pid) - apiBefore)) / Math.max(1, ok));
  cpu.jaeger.push((1e6 * (cpuSecondsOf(jaegerPid) - jaegerBefore)) / Math.max(1, ok));
  cpuPerRead.set(stack.label, cpu);
  return measured;
}

/** One photo round: uploads through the api of `stack`, each followed until the worker is done. */
function photoRound(stack: Stack, photo: Buffer, quick: boolean): Promise<Measurement> {
  const auth = { authorization: `Bearer ${stack.token}` };
  return runLoad(
    async () => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'bench.jpg');
      const uploaded = await fetch(stack.api.url('/api/v1/media'), {
        method: 'POST',
        headers: auth,
        body: form,
      });
      if (uploaded.status !== 202) throw new Error(`upload: ${uploaded.status}`);
      const { id } = (await uploaded.json()) as { id: string };
      // A job that never finishes fails the operation instead of holding the round forever.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const response = await fetch(stack.api.url(`/api/v1/media/${id}`), { headers: auth });
        const job = (await response.json()) as { status: string };
        if (job.status === 'succeeded') return;
        if (job.status === 'failed') throw new Error('job failed');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`job ${id} not finished after 60 s`);
    },
    {
      label: `photo upload -> worker done, ${stack.label}`,
      concurrency: PHOTO_CONCURRENCY,
      maxOperations: quick ? 20 : 100,
      maxMs: quick ? 10_000 : 30_000,
      warmup: 2,
    },
  );
}

const scenario: Scenario = {
  name: 'tracing',
  description: `Tracing on (TRACING_SAMPLE_RATIO=1, OTLP export to a local Jaeger on the same cores) vs off (no SDK), copies of the stack in one run, loaded in alternating rounds: api GET /users/me with a warm cache (wrk, ${READ_CONNECTIONS} connections), also with TRACING_SAMPLE_RATIO=${LOW_RATIO}, and the photo pipeline through the api (${PHOTO_CONCURRENCY} at a time).`,
  async run({ quick }) {
    const photo = await sharp(randomBytes(400 * 300 * 3), { raw: { width: 400, height: 300, channels: 3 } })
      .resize(1600, 1200)
      .jpeg({ quality: 90 })
      .toBuffer();
    const jaeger = await startTestJaeger();
    const stacks: Stack[] = [];
    try {
      const off = await startStack('untraced', {});
      stacks.push(off);
      const on = await startStack('traced', { TRACING_OTLP_URL: jaeger.otlpUrl, TRACING_SAMPLE_RATIO: '1' });
      stacks.push(on);
      const tenth = await startStack('traced 0.1', {
        TRACING_OTLP_URL: jaeger.otlpUrl,
        TRACING_SAMPLE_RATIO: String(LOW_RATIO),
      });
      stacks.push(tenth);
      const loadBefore = loadavg();
      // Warm-up (JIT, pools, the profile cache), not measured.
      await rotateRounds(1, stacks, (stack) => readRound(stack, 3));
      cpuPerRead.clear();
      const [readsOff = [], readsOn = [], readsTenth = []] = await rotateRounds(
        quick ? 2 : 5,
        stacks,
        (stack) => readRound(stack, quick ? 5 : 10, jaeger.pid),
      );
      const [photosOff = [], photosOn = []] = process.env.FLOTILLA_BENCH_CPU_PROF
        ? []
        : await rotateRounds(quick ? 1 : 3, [off, on], (stack) => photoRound(stack, photo, quick));
      const loadAfter = loadavg();
      const perRound = (side: Measurement[]) =>
        side.map((entry) => Math.round(entry.throughput_per_s)).join(', ');
      const notes = [
        'Target: traced throughput >= 0.85 of untraced. Jaeger runs on the same 2 cores.',
        `Reads/s per round, off: ${perRound(readsOff)}; on: ${perRound(readsOn)}; ratio ${LOW_RATIO}: ${perRound(readsTenth)}. Photos/s per round, off: ${photosOff.map((entry) => entry.throughput_per_s).join(', ')}; on: ${photosOn.map((entry) => entry.throughput_per_s).join(', ')}.`,
        `CPU per read (median of rounds): ${[...cpuPerRead].map(([label, cpu]) => `${label} api ${Math.round(median(cpu.api))} µs, Jaeger ${Math.round(median(cpu.jaeger))} µs`).join('; ')}.`,
        `Load average (1 min) ${loadBefore[0]?.toFixed(1)} before the rounds, ${loadAfter[0]?.toFixed(1)} after (other work on the machine).`,
      ];
      if (process.env.FLOTILLA_BENCH_CPU_PROF) {
        // A profiled api is slower: its figures are printed, never put in the table.
        console.log(`   profiled run, not recorded: ${notes.slice(1).join(' ')}`);
        return [];
      }
      return [
        compare(
          'tracing/api-read',
          scenario.description,
          medianOfRounds(readsOn, 'api GET /users/me, traced (wrk)'),
          medianOfRounds(readsOff, 'api GET /users/me, untraced (wrk)'),
          { concurrency: READ_CONNECTIONS, notes },
        ),
        compare(
          `tracing/api-read-ratio-${LOW_RATIO}`,
          scenario.description,
          medianOfRounds(readsTenth, `api GET /users/me, TRACING_SAMPLE_RATIO=${LOW_RATIO} (wrk)`),
          medianOfRounds(readsOff, 'api GET /users/me, untraced (wrk)'),
          { concurrency: READ_CONNECTIONS, notes },
        ),
        compare(
          'tracing/photo-pipeline',
          scenario.description,
          medianOfRounds(photosOn, 'photo upload -> worker done, traced'),
          medianOfRounds(photosOff, 'photo upload -> worker done, untraced'),
          { concurrency: PHOTO_CONCURRENCY, notes },
        ),
      ];
    } finally {
      for (const stack of stacks.reverse()) await stack.stop();
      await jaeger.stop();
    }
  },
};

export default scenario;
