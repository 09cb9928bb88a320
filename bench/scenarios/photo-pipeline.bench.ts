/**
 * Photo pipeline: `media.uploaded` published for N pre-created jobs -> the worker (its own process)
 * claims each job, downloads the original from data-mongo, auto-orients, resizes to 2048 px, re-encodes
 * JPEG q80, makes a 320 px thumbnail, stores both, completes the job and publishes `media.succeeded`
 * -> vs raw sharp doing the same transform on the same images in memory, in this process, with the
 * same number of photos transformed at once. Same run, same machine.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import {
  createDataMongoClient,
  createDataPostgresClient,
  EVENT_SCHEMAS,
  type MediaJob,
  type MediaSucceededData,
  type MediaUploadedData,
} from '@flotilla/contracts';
import { createMessaging, type EventEnvelope } from '@flotilla/platform';
import { connect } from 'amqplib';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import sharp from 'sharp';
import { createTestVhost } from '../../packages/platform/test/component/messaging-broker.js';
import { baseServiceEnv, freePort, startService } from '../../tests/e2e/helpers/service-process.js';
import { startDataServices } from '../../tests/support/data-services.js';
import { compare, type Measurement, quantile, round, type Scenario } from '../lib/measure.js';

const CONCURRENCY = 2; // photos transformed at once, by the worker (MEDIA_CONCURRENCY) and by the baseline
const MAX_EDGE = 2048;
const THUMBNAIL_EDGE = 320;
const QUALITY = 80;
const quiet = pino({ level: 'silent' });

/** Photo-like test images: smooth colour fields (small noise upscaled) at 3000x2000, as JPEG q92. */
async function makePhotos(count: number): Promise<Buffer[]> {
  const photos: Buffer[] = [];
  for (let index = 0; index < count; index += 1) {
    const seed = Buffer.alloc(60 * 40 * 3);
    for (let byte = 0; byte < seed.length; byte += 1) seed[byte] = (byte * 7919 + index * 104_729) % 251;
    photos.push(
      await sharp(seed, { raw: { width: 60, height: 40, channels: 3 } })
        .resize(3000, 2000, { kernel: 'cubic' })
        .jpeg({ quality: 92 })
        .toBuffer(),
    );
  }
  return photos;
}

function measurement(label: string, latencies: number[], seconds: number, errors = 0): Measurement {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    label,
    operations: sorted.length,
    errors,
    seconds: round(seconds),
    throughput_per_s: round(sorted.length / seconds),
    p50_ms: round(quantile(sorted, 0.5)),
    p99_ms: round(quantile(sorted, 0.99)),
    max_ms: round(sorted.at(-1) ?? 0),
  };
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** The worker's transform, done with raw sharp on in-memory buffers. */
async function rawTransform(input: Buffer): Promise<void> {
  const base = sharp(input, { failOn: 'truncated' }).rotate();
  const inside = (edge: number) => ({
    width: edge,
    height: edge,
    fit: 'inside' as const,
    withoutEnlargement: true,
  });
  await Promise.all([
    base
      .clone()
      .resize(inside(MAX_EDGE))
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: QUALITY })
      .toBuffer(),
    base
      .clone()
      .resize(inside(THUMBNAIL_EDGE))
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: QUALITY })
      .toBuffer(),
  ]);
}

const scenario: Scenario = {
  name: 'photo-pipeline',
  description: `Photos per second through the worker (media.uploaded -> claim -> download -> sharp: orient, ${MAX_EDGE} px, JPEG q${QUALITY}, ${THUMBNAIL_EDGE} px thumbnail -> store both -> complete -> media.succeeded) vs raw sharp on the same images in memory; ${CONCURRENCY} photos transformed at once on both sides.`,
  async run({ quick }) {
    const jobsCount = quick ? 24 : 120;
    const services = await startDataServices();
    const vhost = await createTestVhost('bench-photos');
    let worker: ReturnType<typeof startService> | undefined;
    try {
      const photos = await makePhotos(4);
      const clientOptions = { callerName: 'api', serviceToken: services.tokens.api, logger: quiet };
      const dataPostgres = createDataPostgresClient({ ...clientOptions, baseUrl: services.dataPostgresUrl });
      const dataMongo = createDataMongoClient({ ...clientOptions, baseUrl: services.dataMongoUrl });
      const user = await dataPostgres.users.create({
        email: 'bench-photos@example.com',
        username: 'bench_photos',
        password_hash: `$argon2id$v=19$m=65536,t=3,p=4$${'s'.repeat(22)}$${'h'.repeat(43)}`,
      });
      const originals = [];
      for (const [index, photo] of photos.entries()) {
        const filename = `photo-${index}.jpg`;
        const blob = await dataMongo.blobs.upload(
          Readable.from(photo),
          { filename, owner_id: user.id, content_type: 'image/jpeg' },
          { contentLength: photo.length },
        );
        originals.push({ blob_id: blob.id, filename, content_type: 'image/jpeg', size_bytes: photo.length });
      }
      const jobs: MediaJob[] = [];
      for (let index = 0; index < jobsCount; index += 1) {
        const original = originals[index % originals.length] as MediaJob['original'];
        jobs.push(await dataPostgres.mediaJobs.create({ owner_id: user.id, kind: 'photo', original }));
      }

      worker = startService('worker', await freePort(), {
        ...baseServiceEnv(),
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        DATA_POSTGRES_URL: services.dataPostgresUrl,
        DATA_MONGO_URL: services.dataMongoUrl,
        DATA_SERVICE_TOKEN: services.tokens.worker,
        RABBITMQ_URL: vhost.url,
        MEDIA_MAX_EDGE: String(MAX_EDGE),
        MEDIA_THUMBNAIL_EDGE: String(THUMBNAIL_EDGE),
        MEDIA_QUALITY: String(QUALITY),
        MEDIA_CONCURRENCY: String(CONCURRENCY),
        MEDIA_PREFETCH: String(CONCURRENCY * 2),
        SCHEDULES_ENABLED: 'false',
      });
      const started = worker;
      const deadline = Date.now() + 60_000;
      while (
        !(await fetch(started.url('/health/ready')).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        if (started.child.exitCode !== null || Date.now() > deadline)
          throw new Error(`worker not ready: ${started.stderr.join('\n')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      // Observe media.succeeded and media.failed on a queue of our own.
      const observer = await connect(vhost.url);
      const channel = await observer.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, 'events', 'media.succeeded');
      await channel.bindQueue(queue, 'events', 'media.failed');
      const finished = new Map<string, { at: number; event: EventEnvelope }>();
      let allDone: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        allDone = resolve;
      });
      await channel.consume(
        queue,
        (message) => {
          if (!message) return;
          const event = JSON.parse(message.content.toString('utf8')) as EventEnvelope<MediaSucceededData>;
          finished.set(event.data.job_id, { at: performance.now(), event });
          if (finished.size === jobs.length) allDone();
        },
        { noAck: true },
      );
      const publisher = createMessaging({
        url: vhost.url,
        service: 'api',
        events: EVENT_SCHEMAS,
        logger: quiet,
        registry: new Registry(),
        onFatal: () => undefined,
      });
      await publisher.start();

      const begin = performance.now();
      for (const job of jobs) {
        await publisher.publish<MediaUploadedData>('media.uploaded', {
          job_id: job.id,
          owner_id: job.owner_id,
          kind: 'photo',
          source: 'api',
          original: job.original,
        });
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        done,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('photos not done in 10 min')), 600_000);
        }),
      ]).finally(() => clearTimeout(timer));
      const seconds = (Math.max(...[...finished.values()].map((entry) => entry.at)) - begin) / 1000;
      const failed = [...finished.values()].filter(
        (entry) => entry.event.event_type === 'media.failed',
      ).length;
      const durations = [...finished.values()]
        .filter((entry) => entry.event.event_type === 'media.succeeded')
        .map((entry) => (entry.event.data as MediaSucceededData).duration_ms);
      for (const job of jobs) {
        const stored = await dataPostgres.mediaJobs.get(job.id);
        if (stored?.status !== 'succeeded') throw new Error(`job ${job.id} is ${stored?.status}`);
      }
      const system = measurement(
        'worker: queue -> claim -> download -> sharp -> store -> complete',
        durations,
        seconds,
        failed,
      );
      system.rss_mb = await rssMb(started.child.pid as number);
      await publisher.close();
      await observer.close();
      await dataPostgres.close();
      await dataMongo.close();

      // Baseline: the same transforms on the same images, CONCURRENCY at a time, libvips threads as the worker's.
      sharp.concurrency(Math.max(1, Math.floor(availableParallelism() / CONCURRENCY)));
      sharp.cache(false);
      const inputs = jobs.map((_, index) => photos[index % photos.length] as Buffer);
      await rawTransform(inputs[0] as Buffer); // warm-up
      const latencies: number[] = [];
      let next = 0;
      const baselineBegin = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < inputs.length) {
            const input = inputs[next++] as Buffer;
            const t0 = performance.now();
            await rawTransform(input);
            latencies.push(performance.now() - t0);
          }
        }),
      );
      const baseline = measurement(
        'raw sharp, in memory',
        latencies,
        (performance.now() - baselineBegin) / 1000,
      );
      baseline.rss_mb = round(process.memoryUsage().rss / 1024 / 1024);

      return [
        compare('photo-pipeline', scenario.description, system, baseline, {
          concurrency: CONCURRENCY,
          notes: [
            `${jobsCount} jobs over 4 distinct 3000x2000 JPEGs.`,
            'System latency is the worker-side processing time of a job (claim to complete, from media.succeeded); throughput is jobs finished per second of wall time from the first publish.',
            `Worker RSS after the run ${system.rss_mb} MB; the baseline RSS is the benchmark process's.`,
          ],
        }),
      ];
    } finally {
      if (worker && worker.child.exitCode === null) {
        worker.child.kill('SIGTERM');
        await worker.exited;
      }
      await vhost.remove();
      await services.stop();
    }
  },
};

export default scenario;
