/**
 * Photo pipeline: `media.uploaded` published for N pre-created jobs -> the worker (its own process)
 * claims each job, downloads the original from data-mongo, auto-orients, resizes to 2048 px, re-encodes
 * JPEG q80, makes a 320 px thumbnail, stores both, completes the job and publishes `media.succeeded`
 * -> vs raw sharp doing the same transform on the same images in memory, in this process, with the
 * same number of photos transformed at once. Same run, same machine.
 *
 * The two sides run in alternating rounds (the order rotates each round), so load from elsewhere on the
 * machine weighs on both alike; the ratio is that of the medians. The CPU time each process of the
 * pipeline spends per photo (worker, data-mongo, data-postgres, FerretDB, PostgreSQL, RabbitMQ; from
 * /proc) is reported next to the baseline's: a figure the machine's other load moves much less, which
 * says where the time goes. PostgreSQL and RabbitMQ are the shared local servers: their figures include
 * whatever else used them meanwhile. `FLOTILLA_BENCH_CPU_PROF=<dir>` writes a CPU profile of the worker
 * there (`--cpu-prof`; summarise it with `bench/profile-summary.ts`).
 */
import { availableParallelism, loadavg } from 'node:os';
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
import { WORKER_MALLOC } from '../../scripts/lib/services.js';
import { baseServiceEnv } from '../../tests/e2e/helpers/service-process.js';
import { startDataServices } from '../../tests/support/data-services.js';
import { type BenchProcess, benchFolder, buildWorkspace, startBuiltService } from '../lib/built-service.js';
import { compare, median, medianOfRounds, round, type Scenario } from '../lib/measure.js';
import {
  baselineRound,
  CONCURRENCY,
  MAX_EDGE,
  makePhotos,
  measurement,
  QUALITY,
  rawTransform,
  THUMBNAIL_EDGE,
} from '../lib/photo-baseline.js';
import {
  type CpuSnapshot,
  cpuBetween,
  describeCpu,
  type ProcessGroup,
  snapshotCpu,
} from '../lib/process-cpu.js';

const ROUNDS = 3;
/** Jobs processed before the rounds (connections, JIT), not measured. */
const WARM_UP_JOBS = 4;
const quiet = pino({ level: 'silent' });

const scenario: Scenario = {
  name: 'photo-pipeline',
  description: `Photos per second through the worker (media.uploaded -> claim -> download -> sharp: orient, ${MAX_EDGE} px, JPEG q${QUALITY}, ${THUMBNAIL_EDGE} px thumbnail -> store both -> complete -> media.succeeded) vs raw sharp on the same images in memory; ${CONCURRENCY} photos transformed at once on both sides, in ${ROUNDS} alternating rounds.`,
  async run({ quick }) {
    const jobsPerRound = quick ? 12 : 40;
    buildWorkspace();
    const folder = await benchFolder();
    const services = await startDataServices();
    const vhost = await createTestVhost('bench-photos');
    let worker: BenchProcess | undefined;
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
      for (let index = 0; index < WARM_UP_JOBS + ROUNDS * jobsPerRound; index += 1) {
        const original = originals[index % originals.length] as MediaJob['original'];
        jobs.push(await dataPostgres.mediaJobs.create({ owner_id: user.id, kind: 'photo', original }));
      }

      // The built worker (`node dist/main.js`), as its image runs it: no TypeScript loader in its
      // memory or its start-up.
      worker = await startBuiltService(
        'worker',
        {
          ...baseServiceEnv(),
          LOG_LEVEL: 'warn',
          NODE_ENV: 'production',
          // glibc's malloc as the worker's image and the launcher set it (services/worker/README.md).
          ...WORKER_MALLOC,
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
        },
        {
          logDir: folder.path,
          ...(process.env.FLOTILLA_BENCH_CPU_PROF
            ? { cpuProfileDir: process.env.FLOTILLA_BENCH_CPU_PROF }
            : {}),
        },
      );
      const started = worker;

      // Observe media.succeeded and media.failed on a queue of our own.
      const observer = await connect(vhost.url);
      const channel = await observer.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, 'events', 'media.succeeded');
      await channel.bindQueue(queue, 'events', 'media.failed');
      const finished = new Map<string, { at: number; event: EventEnvelope }>();
      let waiting: { ids: Set<string>; resolve: () => void } | undefined;
      await channel.consume(
        queue,
        (message) => {
          if (!message) return;
          const event = JSON.parse(message.content.toString('utf8')) as EventEnvelope<MediaSucceededData>;
          finished.set(event.data.job_id, { at: performance.now(), event });
          if (waiting && [...waiting.ids].every((id) => finished.has(id))) waiting.resolve();
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

      const groups: Record<string, ProcessGroup> = {
        worker: { pid: started.child.pid },
        'data-mongo': { pid: services.processes.dataMongo.child.pid },
        'data-postgres': { pid: services.processes.dataPostgres.child.pid },
        // The shared FerretDB (private ones of other tests listen elsewhere).
        FerretDB: {
          commandLine: new RegExp(
            `/ferretdb .*:${new URL(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017').port || '27017'}\\b`,
          ),
        },
        PostgreSQL: { commandLine: /^postgres/ },
        RabbitMQ: { commandLine: /beam\.smp/ },
      };

      /** Publishes `media.uploaded` for `batch` and waits until every job is finished. */
      async function systemRound(batch: readonly MediaJob[]) {
        const done = new Promise<void>((resolve) => {
          waiting = { ids: new Set(batch.map((job) => job.id)), resolve };
        });
        const before: CpuSnapshot = snapshotCpu(groups);
        const begin = performance.now();
        for (const job of batch) {
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
        const cpu = cpuBetween(before, snapshotCpu(groups), batch.length);
        const entries = batch.map((job) => finished.get(job.id) as { at: number; event: EventEnvelope });
        const seconds = (Math.max(...entries.map((entry) => entry.at)) - begin) / 1000;
        const failed = entries.filter((entry) => entry.event.event_type === 'media.failed').length;
        const durations = entries
          .filter((entry) => entry.event.event_type === 'media.succeeded')
          .map((entry) => (entry.event.data as MediaSucceededData).duration_ms);
        const measured = measurement(
          'worker: queue -> claim -> download -> sharp -> store -> complete',
          durations,
          seconds,
          failed,
        );
        return { measured, cpu };
      }

      // Baseline: the same transforms on the same images, CONCURRENCY at a time, libvips threads as the worker's.
      sharp.concurrency(Math.max(1, Math.floor(availableParallelism() / CONCURRENCY)));
      sharp.cache(false);
      const inputs = Array.from(
        { length: jobsPerRound },
        (_, index) => photos[index % photos.length] as Buffer,
      );
      await rawTransform(inputs[0] as Buffer); // warm-up
      await systemRound(jobs.slice(0, WARM_UP_JOBS));

      const loadBefore = loadavg()[0] ?? 0;
      const systemRounds: Awaited<ReturnType<typeof systemRound>>[] = [];
      const baselineRounds: Awaited<ReturnType<typeof baselineRound>>[] = [];
      for (let index = 0; index < ROUNDS; index += 1) {
        const from = WARM_UP_JOBS + index * jobsPerRound;
        const sides = [
          async () => systemRounds.push(await systemRound(jobs.slice(from, from + jobsPerRound))),
          async () => baselineRounds.push(await baselineRound(inputs)),
        ];
        for (let step = 0; step < sides.length; step += 1) await sides[(index + step) % sides.length]?.();
      }
      const loadAfter = loadavg()[0] ?? 0;

      for (const job of jobs) {
        const stored = await dataPostgres.mediaJobs.get(job.id);
        if (stored?.status !== 'succeeded') throw new Error(`job ${job.id} is ${stored?.status}`);
      }
      const system = medianOfRounds(
        systemRounds.map((entry) => entry.measured),
        'worker: queue -> claim -> download -> sharp -> store -> complete',
      );
      system.rss_mb = started.rssMb();
      const baseline = medianOfRounds(
        baselineRounds.map((entry) => entry.measured),
        'raw sharp, in memory',
      );
      baseline.rss_mb = round(process.memoryUsage().rss / 1024 / 1024);
      await publisher.close();
      await observer.close();
      await dataPostgres.close();
      await dataMongo.close();

      const systemCpu: Record<string, number> = {};
      for (const name of Object.keys(groups))
        systemCpu[name] = round(median(systemRounds.map((entry) => entry.cpu[name] ?? 0)));
      const systemCpuTotal = round(Object.values(systemCpu).reduce((sum, ms) => sum + ms, 0));
      const baselineCpu = round(median(baselineRounds.map((entry) => entry.cpuMs)));
      return [
        compare('photo-pipeline', scenario.description, system, baseline, {
          concurrency: CONCURRENCY,
          notes: [
            `${ROUNDS} rounds of ${jobsPerRound} jobs per side over 4 distinct 3000x2000 JPEGs (${Math.round(
              (photos[0]?.length ?? 0) / 1024,
            )} KB each), after ${WARM_UP_JOBS} warm-up jobs.`,
            `Photos/s per round, worker: ${systemRounds.map((entry) => entry.measured.throughput_per_s).join(', ')}; raw sharp: ${baselineRounds.map((entry) => entry.measured.throughput_per_s).join(', ')}.`,
            `CPU per photo (median of rounds): worker side ${systemCpuTotal} ms in all (${describeCpu(systemCpu)}); raw sharp ${baselineCpu} ms. PostgreSQL and RabbitMQ are shared servers: their figures include other work on them.`,
            'System latency is the worker-side processing time of a job (claim to complete, from media.succeeded); throughput is jobs finished per second of wall time from the first publish of a round.',
            `Worker RSS after the run ${system.rss_mb} MB (MALLOC_ARENA_MAX=2, MALLOC_MMAP_THRESHOLD_=1048576, as its image runs it); the baseline RSS is the benchmark process's.`,
            `Load average (1 min) ${loadBefore.toFixed(1)} before the rounds, ${loadAfter.toFixed(1)} after (other work on the machine).`,
          ],
        }),
      ];
    } finally {
      await worker?.stop();
      await vhost.remove();
      await services.stop();
      await folder.remove();
    }
  },
};

export default scenario;
