import { randomBytes } from 'node:crypto';
import { createDataPostgresClient } from '@flotilla/contracts';
import {
  createSandbox,
  createSandboxClient,
  generateBotToken,
  type Sandbox,
  type SandboxClient,
} from '@flotilla/telegram-sandbox';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestVhost,
  quietLogger,
  type TestVhost,
} from '../../packages/platform/test/component/messaging-broker.js';
import { botTestEnv } from '../../services/bot/test/support/bot-harness.js';
import { workerTestEnv } from '../../services/worker/test/support/worker-harness.js';
import { type DataServices, isolatedRedisUrl, startDataServices } from '../support/data-services.js';
import { type JaegerSpan, type JaegerTrace, startTestJaeger, type TestJaeger } from '../support/jaeger.js';
import {
  baseServiceEnv,
  freePort,
  type ServiceProcess,
  startService,
  waitUntilLive,
} from './helpers/service-process.js';
import { linkTelegramAccount, type TelegramPerson } from './helpers/telegram-link.js';

/**
 * The bot on the traced path: a photo sent to the bot (through the Bot API sandbox) is one trace in
 * Jaeger, rooted at the bot's span of that update: the bot's calls to data-mongo and data-postgres,
 * its `media.uploaded` (stored with the job, published by data-postgres's outbox relay in the bot's trace),
 * the worker's processing (parented across the queue), and the bot's
 * notification that the worker's `media.succeeded` causes, down to the `sendPhoto` call to Telegram.
 * And a photo a linked user uploads through the api is one trace from the api's request to the bot's
 * notification. Every process is its own, started with the telemetry bootstrap, exporting to a Jaeger
 * of the test's.
 */

let jaeger: TestJaeger;
let data: DataServices;
let vhost: TestVhost;
let sandbox: Sandbox;
let telegram: SandboxClient;
let redis: Redis;
let bot: ServiceProcess;
let worker: ServiceProcess;
let api: ServiceProcess;
const token = generateBotToken();

beforeAll(async () => {
  jaeger = await startTestJaeger();
  const tracing = { TRACING_OTLP_URL: jaeger.otlpUrl, TRACING_SAMPLE_RATIO: '1' };
  vhost = await createTestVhost('tracing-bot');
  data = await startDataServices({
    env: { ...tracing, LOG_LEVEL: 'info' },
    readyTimeoutMs: 120_000,
    rabbitmqUrl: vhost.url,
  });
  const redisUrl = isolatedRedisUrl();
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  sandbox = createSandbox();
  const apiRoot = await sandbox.listen(0);
  telegram = createSandboxClient(apiRoot, token);
  worker = startService('worker', await freePort(), {
    ...baseServiceEnv(),
    ...workerTestEnv(data, vhost.url),
    ...tracing,
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'info',
  });
  bot = startService('bot', await freePort(), {
    ...baseServiceEnv(),
    ...botTestEnv({ services: data, rabbitmqUrl: vhost.url, redisUrl, apiRoot, token }),
    ...tracing,
    LOG_LEVEL: 'info',
  });
  api = startService('api', await freePort(), {
    ...baseServiceEnv(),
    ...tracing,
    LOG_LEVEL: 'info',
    DATA_POSTGRES_URL: data.dataPostgresUrl,
    DATA_MONGO_URL: data.dataMongoUrl,
    DATA_SERVICE_TOKEN: data.tokens.api,
    RABBITMQ_URL: vhost.url,
    REDIS_URL: redisUrl,
  });
  await Promise.all([waitUntilLive(worker, 60_000), waitUntilLive(bot, 60_000), waitUntilLive(api, 60_000)]);
}, 1_800_000);

afterAll(async () => {
  for (const service of [api, bot, worker]) {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  }
  redis?.disconnect();
  await sandbox?.close();
  await data?.stop();
  await vhost?.remove();
  await jaeger?.stop();
});

/** The photo of the tests: noise, so the worker has something to compress. */
function noisePhoto(): Promise<Buffer> {
  return sharp(randomBytes(640 * 480 * 3), { raw: { width: 640, height: 480, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

async function poll<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** A Flotilla user (as data-postgres stores one) linked to a fresh Telegram account. */
async function linkedPerson(): Promise<TelegramPerson> {
  const dataPostgres = createDataPostgresClient({
    baseUrl: data.dataPostgresUrl,
    callerName: 'api',
    serviceToken: data.tokens.api,
    logger: quietLogger,
  });
  const tag = randomBytes(5).toString('hex');
  const user = await dataPostgres.users.create({
    email: `trace-bot-${tag}@example.com`,
    username: `trace_bot_${tag}`,
    password_hash: `$argon2id$v=19$m=65536,t=3,p=4$${tag}${tag}$${tag}${tag}${tag}`,
  });
  await dataPostgres.close();
  return linkTelegramAccount(redis, telegram, user.id);
}

const serviceOf = (trace: JaegerTrace, span: JaegerSpan) => trace.processes[span.processID]?.serviceName;
const tag = (span: JaegerSpan, key: string) => span.tags.find((entry) => entry.key === key)?.value;
const parentOf = (trace: JaegerTrace, span: JaegerSpan) => {
  const reference = span.references.find((entry) => entry.refType === 'CHILD_OF');
  return reference && trace.spans.find((candidate) => candidate.spanID === reference.spanID);
};
const descendsFrom = (trace: JaegerTrace, span: JaegerSpan, ancestor: JaegerSpan) => {
  let node = parentOf(trace, span);
  while (node && node !== ancestor) node = parentOf(trace, node);
  return node === ancestor;
};
const isConsumerOf = (trace: JaegerTrace, span: JaegerSpan, service: string, queue: string) =>
  serviceOf(trace, span) === service &&
  tag(span, 'span.kind') === 'consumer' &&
  span.operationName.includes(queue);
const calledMethod = (span: JaegerSpan, method: string) =>
  ['url.full', 'http.url'].some((key) => String(tag(span, key) ?? '').endsWith(`/${method}`));

describe('tracing a conversation through the bot', () => {
  it('a photo sent to the bot is one trace: bot, data services, RabbitMQ, worker, and the notification back', async () => {
    const person = await linkedPerson();
    const { update_id: updateId } = await telegram.sendPhoto(person, await noisePhoto());
    await telegram.waitForBotMessage(person.id, (message) => message.photo !== undefined, 60_000);

    // The bot's log line of that update carries the trace id.
    const handled = await poll('the bot to log the photo update', async () =>
      bot.logs.find((line) => line.msg === 'update handled' && line.update_id === updateId),
    );
    expect(handled.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const traceId = String(handled.trace_id);

    const trace = await poll(
      'the whole conversation in the trace',
      async () => {
        const found = await jaeger.trace(traceId);
        if (!found) return undefined;
        const services = new Set(found.spans.map((span) => serviceOf(found, span)));
        const photoSent = found.spans.some(
          (span) => serviceOf(found, span) === 'bot' && calledMethod(span, 'sendPhoto'),
        );
        // Spans are exported as they end: wait until no span points at a parent Jaeger lacks yet.
        const settled = found.spans.filter((span) => !parentOf(found, span)).length === 1;
        const everyService = ['bot', 'data-mongo', 'data-postgres', 'worker'].every((name) =>
          services.has(name),
        );
        return photoSent && settled && everyService ? found : undefined;
      },
      30_000,
    );

    expect(new Set(trace.spans.map((span) => span.traceID))).toEqual(new Set([traceId]));
    // One root: the bot's span of the photo update.
    const roots = trace.spans.filter((span) => !parentOf(trace, span));
    expect(roots.map((span) => `${serviceOf(trace, span)} ${span.operationName}`)).toEqual([
      'bot telegram message',
    ]);
    const [root] = roots as [JaegerSpan];
    expect(tag(root, 'bot.handler')).toBe('photo');
    expect(tag(root, 'telegram.update_id')).toBe(updateId);

    // The bot stored the photo and created the job: server spans of both data services under the root.
    const botCalls = trace.spans.filter(
      (span) =>
        ['data-postgres', 'data-mongo'].includes(serviceOf(trace, span) ?? '') &&
        tag(span, 'span.kind') === 'server' &&
        parentOf(trace, span) !== undefined &&
        serviceOf(trace, parentOf(trace, span) as JaegerSpan) === 'bot',
    );
    expect(new Set(botCalls.map((span) => serviceOf(trace, span)))).toEqual(
      new Set(['data-postgres', 'data-mongo']),
    );

    // Across the queue: the worker's consumer span of `q.worker.media` is a child of the publish of
    // data-postgres's outbox relay, whose parent is the bot's span that stored the event with the job.
    const workerConsume = trace.spans.find((span) => isConsumerOf(trace, span, 'worker', 'q.worker.media'));
    expect(workerConsume, 'a consumer span in the worker').toBeDefined();
    const publish = workerConsume && parentOf(trace, workerConsume);
    expect(publish && serviceOf(trace, publish)).toBe('data-postgres');
    expect(publish && tag(publish, 'span.kind')).toBe('producer');
    const storedBy = publish && parentOf(trace, publish);
    expect(storedBy && serviceOf(trace, storedBy)).toBe('bot');
    expect(trace.spans.some((span) => span.operationName === 'sharp transform')).toBe(true);

    // The notification: the bot's consumer span of `q.bot.notifications` descends from the worker's
    // processing (its `media.succeeded` publish), and the compressed photo's sendPhoto hangs under it.
    const notifications = trace.spans.filter(
      (span) =>
        isConsumerOf(trace, span, 'bot', 'q.bot.notifications') &&
        workerConsume !== undefined &&
        descendsFrom(trace, span, workerConsume),
    );
    expect(notifications.length).toBeGreaterThan(0);
    const sendPhoto = trace.spans.find(
      (span) => serviceOf(trace, span) === 'bot' && calledMethod(span, 'sendPhoto'),
    );
    expect(sendPhoto).toBeDefined();
    expect(notifications.some((consume) => sendPhoto && descendsFrom(trace, sendPhoto, consume))).toBe(true);
    const notificationParent = sendPhoto && parentOf(trace, sendPhoto);
    expect(notificationParent && serviceOf(trace, notificationParent)).toBe('bot');

    // The bot's token is in every Bot API URL: no span the bot exported carries it.
    const botTraces = (await (await fetch(`${jaeger.queryUrl}/api/traces?service=bot&limit=100`)).json()) as {
      data: JaegerTrace[];
    };
    const exported = JSON.stringify([trace, ...botTraces.data]);
    expect(exported).toContain('/bot<redacted>/sendPhoto');
    expect(exported).not.toContain(token.split(':')[1]);

    // Every line the bot logged while handling the update carries the trace id.
    const botLines = bot.logs.filter((line) => line.update_id === updateId);
    expect(botLines.length).toBeGreaterThan(0);
    for (const line of botLines) expect(line.trace_id).toBe(traceId);
  });

  it('a photo a linked user uploads through the api is one trace down to the bot’s notification', async () => {
    const tag = randomBytes(4).toString('hex');
    const credentials = { email: `trace.api.${tag}@example.com`, password: `a long passphrase ${tag}` };
    const registered = await fetch(api.url('/api/v1/auth/register'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...credentials, username: `trace_api_${tag}` }),
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const login = await fetch(api.url('/api/v1/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
    });
    const { access_token: accessToken } = (await login.json()) as { access_token: string };
    const auth = { authorization: `Bearer ${accessToken}` };
    // Linked as a person does it: a code from the api, `/start <code>` to the bot.
    const issued = await fetch(api.url('/api/v1/users/me/telegram/link-code'), {
      method: 'POST',
      headers: auth,
    });
    expect(issued.status).toBe(201);
    const { code } = (await issued.json()) as { code: string };
    const person = { id: 5_000_000 + Number.parseInt(tag, 16), first_name: 'Grace' };
    await telegram.sendText(person, `/start ${code}`);
    await telegram.waitForBotMessage(person.id, (message) => message.text?.startsWith('Linked') ?? false);

    const requestId = `trace-api-${tag}`;
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await noisePhoto())], { type: 'image/jpeg' }), 'api.jpg');
    const uploaded = await fetch(api.url('/api/v1/media'), {
      method: 'POST',
      headers: { ...auth, 'x-request-id': requestId },
      body: form,
    });
    expect(uploaded.status, await uploaded.clone().text()).toBe(202);
    // The bot sends the compressed photo to the linked chat.
    await telegram.waitForBotMessage(person.id, (message) => message.photo !== undefined, 60_000);

    const uploadLog = api.logs.find(
      (line) => line.request_id === requestId && line.msg === 'request completed',
    );
    expect(uploadLog?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const traceId = String(uploadLog?.trace_id);
    const trace = await poll(
      'the notification in the upload trace',
      async () => {
        const found = await jaeger.trace(traceId);
        if (!found) return undefined;
        const photoSent = found.spans.some(
          (span) => serviceOf(found, span) === 'bot' && calledMethod(span, 'sendPhoto'),
        );
        const settled = found.spans.filter((span) => !parentOf(found, span)).length === 1;
        return photoSent && settled ? found : undefined;
      },
      30_000,
    );
    const roots = trace.spans.filter((span) => !parentOf(trace, span));
    expect(roots.map((span) => `${serviceOf(trace, span)} ${span.operationName}`)).toEqual([
      'api POST /api/v1/media',
    ]);
    const workerConsume = trace.spans.find((span) => isConsumerOf(trace, span, 'worker', 'q.worker.media'));
    // The event went out through data-postgres's outbox relay, in the api's trace.
    const relayPublish = workerConsume && parentOf(trace, workerConsume);
    expect(relayPublish && serviceOf(trace, relayPublish)).toBe('data-postgres');
    expect(relayPublish && serviceOf(trace, parentOf(trace, relayPublish) as JaegerSpan)).toBe('api');
    const sendPhoto = trace.spans.find(
      (span) => serviceOf(trace, span) === 'bot' && calledMethod(span, 'sendPhoto'),
    ) as JaegerSpan;
    let node = parentOf(trace, sendPhoto);
    while (node && !isConsumerOf(trace, node, 'bot', 'q.bot.notifications')) node = parentOf(trace, node);
    expect(node, 'the bot’s notification consumer span above sendPhoto').toBeDefined();
    expect(workerConsume && node && descendsFrom(trace, node, workerConsume)).toBe(true);
  });
});
