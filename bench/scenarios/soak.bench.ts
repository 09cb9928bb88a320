/**
 * `soak`: the services as processes (api, worker, data-postgres, data-mongo) under a mixed load held
 * at 70 % of the measured maximum for SOAK_MINUTES (10 by default): reads (`GET /users/me`), logins,
 * photo uploads (processed by the worker) and questions (`POST /ask` over each user's own
 * indexed document), each kind from its own paced wrk. The maximum is measured first with the four
 * kinds together, unpaced; for uploads it is the worker's processing rate, not the api's accept rate
 * (accepting faster than photos are processed only grows the queue). Reported per minute: answers and
 * failures per kind, p99 per kind, RSS and event-loop delay p99 per service. Targets: 0 errors, RSS
 * growth < 10 % (last minute vs first), p99 drift < 20 %. In the results table each kind's row is its
 * last minute against its first. Not part of `npm test`.
 */

import { loadavg } from 'node:os';
import { createKnowledgeBase, knowledgeEnv, toKnowledgeConfig } from '@flotilla/knowledge';
import { loadConfig } from '@flotilla/platform';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { startMediaSystem } from '../../tests/support/media-system.js';
import { seededRandom } from '../../tests/support/seeded-random.js';
import {
  compare,
  type Measurement,
  quantile,
  round,
  type Scenario,
  type ScenarioResult,
} from '../lib/measure.js';
import { benchLogger, chromaUrl, paragraph, vocabulary } from '../lib/rag-corpus.js';
import {
  failures,
  KINDS,
  type Kind,
  mixRequests,
  multipartFile,
  type Pace,
  prepareUser,
  rssMb,
  runMix,
  sampleService,
  smallPhoto,
  soakServices,
} from '../lib/soak-load.js';
import type { WrkResult } from '../lib/wrk.js';

const USERS = 12;
const LOAD_SHARE = 0.7;
const MAX_CONNECTIONS: Record<Kind, number> = { reads: 16, logins: 4, uploads: 2, questions: 4 };
const SOAK_CONNECTIONS: Record<Kind, number> = { reads: 8, logins: 4, uploads: 2, questions: 4 };

function ok(result: WrkResult): number {
  return result.requests - failures(result) + result.socketErrors;
}

/** The pause per connection that gives `rate` answers/s when one answer takes `latencyMs`. */
function pauseFor(connections: number, rate: number, latencyMs: number): number {
  return Math.max(0, (1000 * connections) / Math.max(rate, 0.01) - latencyMs);
}

function measurement(label: string, result: WrkResult): Measurement {
  const answered = ok(result);
  return {
    label,
    operations: answered,
    errors: failures(result),
    seconds: round(result.seconds),
    throughput_per_s: round(answered / result.seconds),
    p50_ms: round(result.p50_ms),
    p99_ms: round(result.p99_ms),
    max_ms: round(result.max_ms),
  };
}

interface Minute {
  results: Record<Kind, WrkResult>;
  /** Per service: RSS (the median of the minute's samples, one every 5 s), event-loop delay p99, V8 heap used. */
  services: Record<string, { rss_mb: number; loop_p99_ms: number; heap_used_mb: number }>;
}

const scenario: Scenario = {
  name: 'soak',
  description: `Mixed load (reads, logins, photo uploads, questions; wrk per kind) at ${LOAD_SHARE * 100} % of the measured maximum for SOAK_MINUTES against the services as processes: last minute vs first.`,
  async run({ quick }) {
    const minutes = Number(process.env.SOAK_MINUTES ?? (quick ? 2 : 10));
    // Access tokens live at most an hour (ACCESS_TOKEN_TTL_SECONDS); the setup takes a few minutes.
    if (!Number.isInteger(minutes) || minutes < 2 || minutes > 50)
      throw new Error('SOAK_MINUTES must be a whole number from 2 to 50');
    const maxSeconds = quick ? 10 : 20;
    const random = seededRandom(11);
    const words = vocabulary(800, random);
    const text = paragraph(words, 60, random);
    const question = `${paragraph(words, 1, random).slice(0, 100)}?`;
    const system = await startMediaSystem({
      label: 'bench-soak',
      apiEnv: {
        LOG_LEVEL: 'warn',
        LOGIN_MAX_PER_IP: '1000000',
        LOGIN_MAX_PER_ACCOUNT: '10000',
        ACCESS_TOKEN_TTL_SECONDS: '3600',
      },
      workerEnv: { LOG_LEVEL: 'warn' },
    });
    const users: Awaited<ReturnType<typeof prepareUser>>[] = [];
    try {
      for (let i = 0; i < USERS; i += 1) users.push(await prepareUser(system.apiUrl, text));
      const photo = await multipartFile(await smallPhoto(), 'image/jpeg', 'small.jpg');
      const requests = mixRequests(users, photo, question);
      const ids = users.map((user) => user.id);
      const drain = async (since: number, timeoutMs: number) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const jobs = (await system.jobsOf(ids)).filter((job) => job.kind === 'photo');
          const open = jobs.filter((job) => job.status === 'queued' || job.status === 'processing');
          if (open.length === 0 || Date.now() > deadline) {
            const finished = jobs.map((job) => Date.parse(job.finished_at ?? '')).filter((t) => t >= since);
            return {
              jobs,
              open: open.length,
              lastFinished: Math.max(since, ...finished),
            };
          }
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      };

      // 1. The maximum: the four kinds together, unpaced.
      const unpaced = Object.fromEntries(
        KINDS.map((kind) => [kind, { connections: MAX_CONNECTIONS[kind], delayMs: 0 }]),
      ) as Record<Kind, Pace>;
      const before = (await system.jobsOf(ids)).filter((job) => job.kind === 'photo').length;
      const maxStarted = Date.now();
      const max = await runMix(system.apiUrl, requests, unpaced, maxSeconds);
      const drained = await drain(maxStarted, 300_000);
      const processed = drained.jobs.length - before - drained.open;
      const maxRate: Record<Kind, number> = {
        reads: ok(max.reads) / max.reads.seconds,
        logins: ok(max.logins) / max.logins.seconds,
        questions: ok(max.questions) / max.questions.seconds,
        uploads: Math.min(
          ok(max.uploads) / max.uploads.seconds,
          processed / Math.max(1, (drained.lastFinished - maxStarted) / 1000),
        ),
      };
      console.log(
        `   soak maximum (answers/s): ${JSON.stringify(maxRate, (_k, v) => (typeof v === 'number' ? round(v) : v))}`,
      );

      // 2. Pace each kind to 70 % of its maximum: a first guess, one calibration run, one correction.
      const target = Object.fromEntries(KINDS.map((kind) => [kind, maxRate[kind] * LOAD_SHARE])) as Record<
        Kind,
        number
      >;
      const paces = Object.fromEntries(
        KINDS.map((kind) => [
          kind,
          {
            connections: SOAK_CONNECTIONS[kind],
            delayMs: pauseFor(SOAK_CONNECTIONS[kind], target[kind], max[kind].p50_ms / 2),
          },
        ]),
      ) as Record<Kind, Pace>;
      const calibration = await runMix(system.apiUrl, requests, paces, maxSeconds);
      for (const kind of KINDS) {
        const rate = ok(calibration[kind]) / calibration[kind].seconds;
        const latency = (1000 * paces[kind].connections) / Math.max(rate, 0.01) - paces[kind].delayMs;
        paces[kind].delayMs = pauseFor(paces[kind].connections, target[kind], latency);
      }
      console.log(
        `   soak pacing (pause ms per connection): ${KINDS.map((k) => `${k} ${round(paces[k].delayMs)}`).join(', ')}`,
      );
      await drain(Date.now(), 300_000);

      // 3. The soak, one minute at a time.
      const services = soakServices(system);
      for (const service of Object.values(services)) await sampleService(service); // resets the loop histograms
      const soakStarted = Date.now();
      const loadBefore = loadavg();
      const perMinute: Minute[] = [];
      for (let m = 1; m <= minutes; m += 1) {
        const sampled = new Promise<Minute['services']>((resolve, reject) => {
          setTimeout(async () => {
            try {
              const entries = await Promise.all(
                Object.entries(services).map(
                  async ([name, service]) => [name, await sampleService(service)] as const,
                ),
              );
              resolve(Object.fromEntries(entries));
            } catch (error) {
              reject(error);
            }
          }, 55_000);
        });
        // RSS moves by tens of MB within a minute as V8 sizes its heap: one reading per minute is noise.
        const rss: Record<string, number[]> = Object.fromEntries(Object.keys(services).map((n) => [n, []]));
        const rssTimer = setInterval(() => {
          for (const [name, service] of Object.entries(services)) {
            rssMb(service).then(
              (mb) => rss[name]?.push(mb),
              () => undefined,
            );
          }
        }, 5_000);
        const results = await runMix(system.apiUrl, requests, paces, 60).finally(() =>
          clearInterval(rssTimer),
        );
        const minute = await sampled;
        for (const [name, samples] of Object.entries(rss)) {
          const entry = minute[name];
          if (entry && samples.length > 0)
            entry.rss_mb = round(
              quantile(
                [...samples].sort((a, b) => a - b),
                0.5,
              ),
            );
        }
        perMinute.push({ results, services: minute });
        console.log(
          `   soak minute ${m}: ${KINDS.map((k) => `${k} ${round(ok(results[k]) / results[k].seconds)}/s p99 ${round(results[k].p99_ms)} ms err ${failures(results[k])}`).join(' | ')} | ${Object.entries(
            perMinute.at(-1)?.services ?? {},
          )
            .map(
              ([name, s]) => `${name} ${s.rss_mb} MB (heap ${s.heap_used_mb}) loop p99 ${s.loop_p99_ms} ms`,
            )
            .join(', ')}`,
        );
      }
      const finished = await drain(soakStarted, 300_000);
      const soakJobs = finished.jobs.filter((job) => Date.parse(job.created_at) >= soakStarted);
      const jobsFailed = soakJobs.filter((job) => job.status !== 'succeeded').length;

      const load = `load average (1/5/15 min) ${loadBefore.map((v) => round(v)).join('/')} at the start, ${loadavg()
        .map((v) => round(v))
        .join('/')} at the end`;
      return summarise(perMinute, paces, target, maxRate, jobsFailed, soakJobs.length, load);
    } finally {
      await dropCollections(users.map((user) => user.id)).catch(() => undefined);
      await system.stop();
    }
  },
};

function summarise(
  perMinute: Minute[],
  paces: Record<Kind, Pace>,
  target: Record<Kind, number>,
  maxRate: Record<Kind, number>,
  jobsFailed: number,
  jobs: number,
  load: string,
): ScenarioResult[] {
  const first = perMinute[0] as Minute;
  const last = perMinute.at(-1) as Minute;
  const errors = perMinute.reduce(
    (sum, minute) => sum + KINDS.reduce((s, k) => s + failures(minute.results[k]), 0),
    0,
  );
  const statuses: Record<string, number> = {};
  for (const minute of perMinute)
    for (const kind of KINDS)
      for (const [status, count] of Object.entries(minute.results[kind].statuses))
        statuses[status] = (statuses[status] ?? 0) + count;
  const growth = Object.keys(first.services).map((name) => {
    const a = first.services[name]?.rss_mb ?? 0;
    const b = last.services[name]?.rss_mb ?? 0;
    const heap = `heap ${first.services[name]?.heap_used_mb} → ${last.services[name]?.heap_used_mb} MB`;
    return `${name} ${a} → ${b} MB (${a ? round(((b - a) / a) * 100) : 0} %; ${heap})`;
  });
  const loop = Object.keys(first.services).map(
    (name) => `${name} ${Math.max(...perMinute.map((minute) => minute.services[name]?.loop_p99_ms ?? 0))} ms`,
  );
  const driftFrom = (start: Minute) =>
    KINDS.map(
      (kind) =>
        `${kind} ${round(((last.results[kind].p99_ms - start.results[kind].p99_ms) / Math.max(start.results[kind].p99_ms, 0.001)) * 100)} %`,
    );
  const drift = driftFrom(first);
  // The first minute still warms up (JIT, pools, caches); drift from the second shows it without that.
  const second = perMinute[1] ?? first;
  const notes = [
    `${perMinute.length} minutes; maximum measured (answers/s): ${KINDS.map((k) => `${k} ${round(maxRate[k])}`).join(', ')}; held at ${LOAD_SHARE * 100} %: ${KINDS.map((k) => `${k} ${round(target[k])}/s (${paces[k].connections} connections, ${round(paces[k].delayMs)} ms pause)`).join(', ')}.`,
    `Errors: ${errors} (answers by status over the soak: ${JSON.stringify(statuses)}); photo jobs not succeeded: ${jobsFailed} of ${jobs}.`,
    `RSS (median of each minute's samples) first → last minute: ${growth.join(', ')}.`,
    `p99 drift, last minute vs first: ${drift.join(', ')}; vs the second: ${driftFrom(second).join(', ')}.`,
    `Event-loop delay p99, worst minute: ${loop.join(', ')}.`,
    `Machine: ${load}.`,
  ];
  return KINDS.map((kind) =>
    compare(
      `soak/${kind}`,
      `${kind}: the last soak minute vs the first (throughput ratio ~1 and p99 ratio < 1.2 mean no drift).`,
      measurement(`minute ${perMinute.length}: ${kind}`, last.results[kind]),
      measurement(`minute 1: ${kind}`, first.results[kind]),
      { concurrency: paces[kind].connections, ...(kind === 'reads' && { notes }) },
    ),
  );
}

/** Drops the soak users' vector collections from the shared ChromaDB. */
async function dropCollections(ownerIds: readonly string[]): Promise<void> {
  const config = toKnowledgeConfig(loadConfig(Type.Object(knowledgeEnv()), { service: 'bench', env: {} }));
  const kb = createKnowledgeBase(config, {
    chromaUrl: chromaUrl(),
    registry: new Registry(),
    logger: benchLogger,
  });
  for (const owner of ownerIds) await kb.store.dropOwner(owner);
}

export default scenario;
