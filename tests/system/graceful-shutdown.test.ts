import { randomBytes } from 'node:crypto';
import {
  createSandbox,
  createSandboxClient,
  generateBotToken,
  type SandboxClient,
} from '@flotilla/telegram-sandbox';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { botTestEnv } from '../../services/bot/test/support/bot-harness.js';
import {
  baseServiceEnv,
  freePort,
  type ServiceProcess,
  startService,
  stopServiceProcess,
  waitUntilReady,
} from '../e2e/helpers/service-process.js';
import { isolatedRedisUrl } from '../support/data-services.js';
import { type LoadUser, type MediaSystem, phonePhotos, startMediaSystem } from '../support/media-system.js';
import { describeAnswers, settledJobs, troubleLines, uploadPhotos } from '../support/outage-phases.js';
import {
  type LoadAnswer,
  type LoadLoop,
  type LoadProgress,
  runRequestLoops,
  tally,
} from '../support/request-load.js';

/**
 * SIGTERM to each service in turn (api, worker, data-postgres, data-mongo, then the bot) while clients
 * read, upload and download through the api (Telegram updates reach the bot's webhook), then the
 * service is started again. Each exits 0 after finishing what
 * it had accepted: no request already accepted loses its connection (a client may only find the port
 * closed while the service is down), no answer is a 500, and every photo accepted is processed, once.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let system: MediaSystem;
let smallPhoto: Buffer;
let photos: Buffer[];
let user: LoadUser;
let doneJob: string;

beforeAll(async () => {
  system = await startMediaSystem({
    label: 'graceful-shutdown',
    workerEnv: { MESSAGE_RETRY_DELAYS_MS: '1000,2000,5000' },
  });
  smallPhoto = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#a63' } })
    .jpeg()
    .toBuffer();
  photos = await phonePhotos(2);
  user = await system.registerUser();
  [doneJob] = (await uploadPhotos(system, user, [smallPhoto])) as [string];
  await settledJobs(system, [user.id], 60_000);
}, 240_000);

afterAll(async () => {
  if (system) console.log(troubleLines(system).join('\n'));
  await system?.stop();
}, 120_000);

function loops(): LoadLoop[] {
  const api = system.apiUrl;
  const auth = { authorization: `Bearer ${user.token}` };
  const get = (path: string) => (signal: AbortSignal) => fetch(`${api}${path}`, { headers: auth, signal });
  const upload = (signal: AbortSignal) => {
    const form = new FormData();
    form.append('file', new Blob([smallPhoto], { type: 'image/jpeg' }), 'small.jpg');
    return fetch(`${api}/api/v1/media`, { method: 'POST', headers: auth, body: form, signal });
  };
  return [
    { kind: 'list', request: get('/api/v1/media?limit=20') },
    { kind: 'status', request: get(`/api/v1/media/${doneJob}`) },
    { kind: 'download', request: get(`/api/v1/media/${doneJob}/result`) },
    { kind: 'upload', request: upload },
    { kind: 'upload', request: upload },
  ];
}

/**
 * Runs the load; after 3 s under it, at a moment when at least one request is in flight (the loops pause
 * between requests, so there are quiet moments), `restart()` sends SIGTERM, waits for the exit and starts
 * the service again; then the load goes on until the api answers `probePath` (a job list by default)
 * again, and 5 s more. The photos accepted meanwhile are added to the case's count at once, so a case
 * that fails leaves the next one a true count.
 */
async function underLoad(
  restart: () => Promise<{ exitCode: number | null }>,
  probePath = '/api/v1/media?limit=1',
) {
  let done = false;
  let exitCode: number | null | undefined;
  const marks = { sigterm: 0, recovered: 0 };
  const progress: LoadProgress = { inFlight: 0 };
  const restarting = (async () => {
    await sleep(3000);
    const quietUntil = Date.now() + 10_000;
    while (progress.inFlight === 0 && Date.now() < quietUntil) await sleep(1);
    marks.sigterm = performance.now();
    ({ exitCode } = await restart());
    const deadline = Date.now() + 60_000;
    for (;;) {
      const response = await fetch(`${system.apiUrl}${probePath}`, {
        headers: { authorization: `Bearer ${user.token}` },
      }).catch(() => undefined);
      await response?.arrayBuffer();
      if (response?.status === 200 || Date.now() > deadline) break;
      await sleep(200);
    }
    marks.recovered = performance.now();
    await sleep(5000);
    done = true;
  })();
  const answers = await runRequestLoops({
    loops: loops(),
    durationMs: 180_000,
    until: () => done,
    progress,
  });
  await restarting;
  acceptedJobs += answers.filter((a) => a.kind === 'upload' && a.status === 202).length;
  const inFlight = answers.filter((a) => a.sentAt < marks.sigterm && a.answeredAt > marks.sigterm);
  const afterRecovery = answers.filter((a) => a.sentAt >= marks.recovered);
  return {
    answers,
    exitCode,
    inFlight,
    afterRecovery,
    recoveryMs: Math.round(marks.recovered - marks.sigterm),
  };
}

const accepted = (a: LoadAnswer) => a.status === 200 || a.status === 202;
const problem503 = (a: LoadAnswer) =>
  a.status === 503 && (a.contentType ?? '').startsWith('application/problem+json');
// While the api is down its port is closed: a refused connection is a request never accepted.
const refused = (a: LoadAnswer) => a.status === 'connection-error' && a.error === 'ECONNREFUSED';

/** Photos accepted in the current case (202s of its load and the uploads it made outside the loops). */
let acceptedJobs = 0;

/** The user's jobs and stored files when the current case began (after the previous one settled). */
let atStart = { jobs: 0, files: 0 };

/**
 * Every photo accepted in this case ended `succeeded`, with exactly its three files, and no earlier job
 * changed. An upload refused with 503 because data-postgres was away after its file was stored may leave
 * that file behind (not fixed here: the orphan sweep's job); such files are counted and reported, and
 * there are never more of them than refused uploads.
 */
async function expectNothingLost(answers: LoadAnswer[]) {
  const jobs = await settledJobs(system, [user.id], 180_000);
  const notDone = jobs
    .filter((j) => j.status !== 'succeeded')
    .map((j) => `${j.status} ${j.error?.code ?? ''}`);
  expect(notDone).toEqual([]);
  expect(jobs.length - atStart.jobs).toBe(acceptedJobs);
  const blobs = await system.blobsOf([user.id]);
  const extra = blobs.files - atStart.files - acceptedJobs * 3;
  const refusedUploads = answers.filter((a) => a.kind === 'upload' && a.status === 503).length;
  if (extra > 0) console.log(`files of refused uploads left in the store: ${extra}`);
  expect(extra).toBeGreaterThanOrEqual(0);
  expect(extra).toBeLessThanOrEqual(refusedUploads);
  expect(blobs.orphanChunks).toBe(0);
}

describe('SIGTERM to a service under load', () => {
  beforeEach(async () => {
    const jobs = await settledJobs(system, [user.id], 180_000);
    atStart = { jobs: jobs.length, files: (await system.blobsOf([user.id])).files };
    acceptedJobs = 0;
  }, 200_000);

  it('the api finishes the requests in flight and exits 0; started again, it serves the same clients', async () => {
    const { answers, exitCode, inFlight, afterRecovery, recoveryMs } = await underLoad(() =>
      system.restart('api'),
    );
    const closedUnder = answers.filter((a) => a.status === 'connection-error' && !refused(a));
    console.log(
      'api SIGTERM:',
      JSON.stringify({
        exitCode,
        recoveryMs,
        inFlight: tally(inFlight),
        resets: describeAnswers(closedUnder),
        answers: tally(answers),
      }),
    );
    expect(exitCode).toBe(0);
    // Every request in flight when the signal came was answered in full.
    expect(inFlight.length).toBeGreaterThan(0);
    expect(describeAnswers(inFlight.filter((a) => !accepted(a)))).toEqual([]);
    // Never a 500; what the api could not take any more was refused at the door or answered 503.
    expect(
      describeAnswers(answers.filter((a) => typeof a.status === 'number' && !accepted(a) && !problem503(a))),
    ).toEqual([]);
    expect(answers.filter(refused).length).toBeGreaterThan(0);
    // No kept-alive connection was reset: a request sent on one after the signal was answered (with
    // `Connection: close`); only new connections were refused, at connect time.
    expect(describeAnswers(closedUnder)).toEqual([]);
    expect(describeAnswers(afterRecovery.filter((a) => !accepted(a)))).toEqual([]);
    await expectNothingLost(answers);
  });

  it('the worker finishes the photos in hand (or leaves them queued) and exits 0; started again, every photo is processed once', async () => {
    const { answers, exitCode, inFlight } = await underLoad(async () => {
      // Phone-size photos just before the signal: some are in the worker's hands when it arrives.
      await uploadPhotos(system, user, [...photos, ...photos]);
      return system.restart('worker');
    });
    console.log(
      'worker SIGTERM:',
      JSON.stringify({ exitCode, inFlight: tally(inFlight), answers: tally(answers) }),
    );
    expect(exitCode).toBe(0);
    expect(describeAnswers(answers.filter((a) => !accepted(a)))).toEqual([]);
    acceptedJobs += 4;
    await expectNothingLost(answers);
  });

  for (const name of ['dataPostgres', 'dataMongo'] as const) {
    it(`${name === 'dataPostgres' ? 'data-postgres' : 'data-mongo'} finishes the calls it accepted and exits 0; the api answers 503 problem+json meanwhile, never a 500 or a reset`, async () => {
      // Recovered: the api answers what needs the restarted service (data-mongo: a download).
      const probe = name === 'dataPostgres' ? '/api/v1/media?limit=1' : `/api/v1/media/${doneJob}/result`;
      const { answers, exitCode, inFlight, afterRecovery, recoveryMs } = await underLoad(
        () => system.services.restart(name),
        probe,
      );
      console.log(
        `${name} SIGTERM:`,
        JSON.stringify({ exitCode, recoveryMs, inFlight: tally(inFlight), answers: tally(answers) }),
      );
      expect(exitCode).toBe(0);
      expect(describeAnswers(answers.filter((a) => !accepted(a) && !problem503(a)))).toEqual([]);
      // Once it is back (and the api's circuit to it closed again), everything works.
      expect(afterRecovery.length).toBeGreaterThan(0);
      expect(describeAnswers(afterRecovery.filter((a) => !accepted(a)))).toEqual([]);
      await expectNothingLost(answers);
    });
  }
});

type Person = { id: number; first_name: string };

/** A `/help` message from `person`, as Telegram posts it to a webhook. */
function helpUpdate(updateId: number, person: Person) {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: person.id, type: 'private', first_name: person.first_name },
      from: { id: person.id, is_bot: false, first_name: person.first_name },
      text: '/help',
      entities: [{ type: 'bot_command', offset: 0, length: 5 }],
    },
  };
}

const isHelp = (text: string | undefined) => text?.startsWith('What I can do:') ?? false;

async function botReplies(telegram: SandboxClient, chatId: number): Promise<number> {
  return (await telegram.transcript(chatId)).filter((entry) => entry.from === 'bot' && isHelp(entry.text))
    .length;
}

describe('SIGTERM to the bot while Telegram delivers updates to its webhook', () => {
  it('every update is answered once, or refused before it is taken and then redelivered; never taken and lost; the bot exits 0 and, started again, takes updates', async () => {
    const sandbox = createSandbox();
    const token = generateBotToken();
    const apiRoot = await sandbox.listen(0);
    const telegram = createSandboxClient(apiRoot, token);
    const port = await freePort();
    const secret = randomBytes(32).toString('base64url');
    const webhook = `http://127.0.0.1:${port}/telegram/webhook`;
    let bot: ServiceProcess = startService('bot', port, {
      ...baseServiceEnv(),
      ...botTestEnv({
        services: system.services,
        rabbitmqUrl: system.rabbitmqUrl,
        redisUrl: isolatedRedisUrl(),
        apiRoot,
        token,
      }),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      BOT_MODE: 'webhook',
      BOT_WEBHOOK_URL: webhook,
      BOT_WEBHOOK_SECRET: secret,
    });
    try {
      await waitUntilReady(bot, 90_000);
      const person = (n: number): Person => ({
        id: 7_000_000 + n * 1000 + Math.floor(Math.random() * 999),
        first_name: `P${n}`,
      });
      // Chats the test posts updates for itself (as Telegram's parallel webhook connections do): the
      // sandbox knows a chat once its user wrote, so each says /help once through the sandbox first.
      const posters = Array.from({ length: 6 }, (_, n) => person(n));
      // Chats whose messages the sandbox delivers (one at a time, redelivered until answered 2xx).
      const writers = Array.from({ length: 3 }, (_, n) => person(10 + n));
      for (const p of posters) await telegram.sendText(p, '/help');
      for (const p of posters) await telegram.waitForBotMessage(p.id, (m) => isHelp(m.text), 60_000);

      let done = false;
      let restartedAt = Number.POSITIVE_INFINITY;
      const acknowledged = new Map<number, number>(posters.map((p) => [p.id, 1]));
      const sent = new Map<number, number>(writers.map((p) => [p.id, 0]));
      const refusals: string[] = [];
      let afterRestart = 0;
      let nextUpdate = 900_000_000;
      const deliver = async (update: ReturnType<typeof helpUpdate>) => {
        // Telegram's side: the update is posted again until the bot answers 2xx.
        for (;;) {
          try {
            const response = await fetch(webhook, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
              body: JSON.stringify(update),
              signal: AbortSignal.timeout(10_000),
            });
            await response.arrayBuffer();
            if (response.ok) return;
            refusals.push(String(response.status));
          } catch (error) {
            const cause = (error as { cause?: { code?: string } }).cause;
            refusals.push(cause?.code ?? String(error));
          }
          await sleep(100);
        }
      };
      const post = async () => {
        while (!done) {
          nextUpdate += 1;
          const chat = posters[nextUpdate % posters.length] as Person;
          await deliver(helpUpdate(nextUpdate, chat));
          acknowledged.set(chat.id, (acknowledged.get(chat.id) ?? 0) + 1);
          if (performance.now() > restartedAt) afterRestart += 1;
          await sleep(30);
        }
      };
      const write = async (writer: Person) => {
        while (!done) {
          await telegram.sendText(writer, '/help');
          sent.set(writer.id, (sent.get(writer.id) ?? 0) + 1);
          await sleep(150);
        }
      };
      const load = Promise.all([post(), post(), post(), post(), ...writers.map(write)]);
      await sleep(2000);
      await stopServiceProcess(bot);
      const exitCode = await bot.exited;
      bot = startService('bot', port, bot.env);
      await waitUntilReady(bot, 90_000);
      restartedAt = performance.now();
      await sleep(3000);
      done = true;
      await load;

      // Every update acknowledged with 2xx, and every message the sandbox took, got its one reply.
      const expected = new Map([...acknowledged, ...sent]);
      const deadline = Date.now() + 60_000;
      let replies = new Map<number, number>();
      for (;;) {
        replies = new Map(
          await Promise.all(
            [...expected.keys()].map(async (id) => [id, await botReplies(telegram, id)] as const),
          ),
        );
        if ([...expected].every(([id, count]) => replies.get(id) === count) || Date.now() > deadline) break;
        await sleep(500);
      }
      const tallyOf = (values: string[]) => {
        const counts: Record<string, number> = {};
        for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
        return counts;
      };
      console.log(
        'bot SIGTERM:',
        JSON.stringify({
          exitCode,
          posted: [...acknowledged.values()].reduce((a, b) => a + b, 0) - posters.length,
          sandboxMessages: [...sent.values()].reduce((a, b) => a + b, 0),
          afterRestart,
          refusals: tallyOf(refusals),
        }),
      );
      expect(exitCode).toBe(0);
      expect(Object.fromEntries(replies)).toEqual(Object.fromEntries(expected));
      // Refused before being taken: answered 503 while closing, or the port closed; never a reset or a 5xx
      // other than 503, which Telegram could not tell from a lost update.
      expect(refusals.filter((r) => r !== '503' && r !== 'ECONNREFUSED')).toEqual([]);
      expect(refusals.length).toBeGreaterThan(0);
      expect(afterRestart).toBeGreaterThan(0);
    } finally {
      await stopServiceProcess(bot);
      await sandbox.close();
    }
  });
});
