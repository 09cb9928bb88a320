/**
 * Cost of tracing, in one run: the same stack (api, worker, data-postgres, data-mongo as their own
 * processes) measured twice, first untraced (no TRACING_OTLP_URL: no SDK is loaded), then traced with
 * every trace recorded (TRACING_SAMPLE_RATIO=1) and exported to a local Jaeger. Two paths:
 * 1. api read: `GET /api/v1/users/me` with an access JWT (cache warm), 16 concurrent callers;
 * 2. photo pipeline: upload a 1600x1200 JPEG through the api and wait until the worker has finished
 *    the job, 2 at a time.
 * The stacks run one after the other, so they never share the cores; off and on alternate twice.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { Agent, request } from 'undici';
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
import { compare, type Measurement, runLoad, type Scenario } from '../lib/measure.js';

const READ_CONCURRENCY = 16;
const PHOTO_CONCURRENCY = 2;
const USERS = 10;

interface StackResult {
  read: Measurement;
  photos: Measurement;
}

async function stop(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode !== null) return;
  service.child.kill('SIGTERM');
  await service.exited;
}

async function measureStack(
  label: string,
  tracing: Record<string, string>,
  quick: boolean,
  photo: Buffer,
): Promise<StackResult> {
  const data = await startDataServices({ env: { ...tracing, LOG_LEVEL: 'warn' } });
  const vhost = await createTestVhost('bench-tracing');
  const redisUrl = isolatedRedisUrl(15);
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
  const api = startService('api', await freePort(), {
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
  });
  const agent = new Agent({ connections: READ_CONCURRENCY, keepAliveTimeout: 30_000 });
  try {
    await Promise.all([waitUntilLive(worker, 60_000), waitUntilLive(api, 60_000)]);
    const clientIp = `10.${randomBytes(3).join('.')}`;
    const tokens: string[] = [];
    for (let index = 0; index < USERS; index += 1) {
      const suffix = randomBytes(6).toString('hex');
      const credentials = { email: `bench-${suffix}@example.test`, password: `bench-password-${suffix}` };
      const headers = { 'content-type': 'application/json', 'x-forwarded-for': clientIp };
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
      tokens.push(((await login.json()) as { access_token: string }).access_token);
    }
    const token = () => tokens[Math.floor(Math.random() * tokens.length)] as string;

    const read = await runLoad(
      async () => {
        const response = await request(api.url('/api/v1/users/me'), {
          headers: { authorization: `Bearer ${token()}` },
          dispatcher: agent,
        });
        await response.body.dump();
        if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
      },
      {
        label: `api GET /users/me, ${label}`,
        concurrency: READ_CONCURRENCY,
        maxOperations: quick ? 3_000 : 30_000,
        maxMs: quick ? 5_000 : 20_000,
        warmup: 300,
      },
    );

    const photos = await runLoad(
      async () => {
        const auth = { authorization: `Bearer ${token()}` };
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'bench.jpg');
        const uploaded = await fetch(api.url('/api/v1/media'), { method: 'POST', headers: auth, body: form });
        if (uploaded.status !== 202) throw new Error(`upload: ${uploaded.status}`);
        const { id } = (await uploaded.json()) as { id: string };
        for (;;) {
          const job = (await (await fetch(api.url(`/api/v1/media/${id}`), { headers: auth })).json()) as {
            status: string;
          };
          if (job.status === 'succeeded') return;
          if (job.status === 'failed') throw new Error('job failed');
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      },
      {
        label: `photo upload -> worker done, ${label}`,
        concurrency: PHOTO_CONCURRENCY,
        maxOperations: quick ? 20 : 150,
        maxMs: quick ? 15_000 : 60_000,
        warmup: 4,
      },
    );
    return { read, photos };
  } finally {
    await agent.close();
    await Promise.all([stop(api), stop(worker)]);
    await vhost.remove();
    await data.stop();
  }
}

const scenario: Scenario = {
  name: 'tracing',
  description: `Tracing on (ratio 1.0, OTLP export to a local Jaeger) vs off (no SDK), same stack measured one after the other: api GET /users/me (${READ_CONCURRENCY} callers) and the photo pipeline through the api (${PHOTO_CONCURRENCY} at a time).`,
  async run({ quick }) {
    const photo = await sharp(randomBytes(400 * 300 * 3), { raw: { width: 400, height: 300, channels: 3 } })
      .resize(1600, 1200)
      .jpeg({ quality: 90 })
      .toBuffer();
    const jaeger = await startTestJaeger();
    try {
      // Off and on alternate twice and the better round of each counts: other load on the machine
      // then weighs on both sides alike.
      const traced = { TRACING_OTLP_URL: jaeger.otlpUrl, TRACING_SAMPLE_RATIO: '1' };
      const rounds: Array<{ off: StackResult; on: StackResult }> = [];
      for (let round = 0; round < 2; round += 1) {
        const off = await measureStack('untraced', {}, quick, photo);
        const on = await measureStack('traced', traced, quick, photo);
        rounds.push({ off, on });
      }
      const best = (pick: (result: StackResult) => Measurement, side: 'off' | 'on') =>
        rounds
          .map((entry) => pick(entry[side]))
          .reduce((a, b) => (b.throughput_per_s > a.throughput_per_s ? b : a));
      const off = { read: best((r) => r.read, 'off'), photos: best((r) => r.photos, 'off') };
      const on = { read: best((r) => r.read, 'on'), photos: best((r) => r.photos, 'on') };
      const perRound = rounds
        .map(
          (entry, index) =>
            `round ${index + 1}: read ${entry.on.read.throughput_per_s}/${entry.off.read.throughput_per_s}/s, photos ${entry.on.photos.throughput_per_s}/${entry.off.photos.throughput_per_s}/s (on/off)`,
        )
        .join('; ');
      const notes = [
        'Target: traced throughput >= 0.85 of untraced. Jaeger runs on the same 2 cores.',
        `Best of 2 alternating rounds each (${perRound}).`,
      ];
      return [
        compare('tracing/api-read', scenario.description, on.read, off.read, {
          concurrency: READ_CONCURRENCY,
          notes,
        }),
        compare('tracing/photo-pipeline', scenario.description, on.photos, off.photos, {
          concurrency: PHOTO_CONCURRENCY,
          notes,
        }),
      ];
    } finally {
      await jaeger.stop();
    }
  },
};

export default scenario;
