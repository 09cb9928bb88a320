import { randomBytes, randomInt } from 'node:crypto';
import {
  createDataMongoClient,
  createDataPostgresClient,
  type DataMongoClient,
  type DataPostgresClient,
  EVENT_SCHEMAS,
  type User,
} from '@flotilla/contracts';
import { createMessaging, type HttpApp, hashKeyPart, type Messaging, redisKey } from '@flotilla/platform';
import {
  createSandbox,
  createSandboxClient,
  generateBotToken,
  type Sandbox,
  type SandboxClient,
} from '@flotilla/telegram-sandbox';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import {
  createTestVhost,
  quietLogger,
  type TestVhost,
  waitFor,
} from '../../../../packages/platform/test/component/messaging-broker.js';
import {
  type DataServices,
  isolatedRedisUrl,
  startDataServices,
} from '../../../../tests/support/data-services.js';
import { buildApp } from '../../src/app.js';
import { type BotConfig, loadBotConfig } from '../../src/config.js';
import { type BotDeps, createDeps } from '../../src/deps.js';

export { waitFor };

/** A bot of the harness (several may share the harness's Redis, broker and sandbox token). */
export interface RunningBot {
  deps: BotDeps;
  app: HttpApp;
  config: BotConfig;
  stop(): Promise<void>;
}

/** The bot against the sandbox, its own data services, RabbitMQ vhost and Redis database. */
export interface BotHarness {
  sandbox: Sandbox;
  /** Base URL of the sandbox (its chat page is at `/`). */
  sandboxUrl: string;
  /** The sandbox's control client for this harness's bot token. */
  telegram: SandboxClient;
  services: DataServices;
  vhost: TestVhost;
  /** The first bot (started). */
  bot: RunningBot;
  /** Clients with the api's token: the test plays the api and the worker. */
  dataPostgres: DataPostgresClient;
  dataMongo: DataMongoClient;
  /** A publisher as the worker (job events). */
  publisher: Messaging;
  /** The Redis database the bots share. */
  redis: Redis;
  /** Starts another bot process's worth of dependencies on the same Redis, broker and token. */
  startBot(env?: Record<string, string>): Promise<RunningBot>;
  /** A fresh Telegram user id (chats of a private conversation have the user's id). */
  telegramUser(): { id: number; first_name: string };
  /** A user in data-postgres (as the api registers one). */
  createUser(): Promise<User>;
  /** A one-time link code for `userId`, stored as the api stores it (`ttlMs` to make one expire fast). */
  issueLinkCode(userId: string, ttlMs?: number): Promise<string>;
  /** A user linked to a fresh Telegram account, through `/start <code>`. */
  linkedUser(): Promise<{ user: User; telegram: { id: number; first_name: string } }>;
  stop(): Promise<void>;
}

/** Options of {@link startBotHarness}. */
export interface BotHarnessOptions {
  label: string;
  /** Environment of every bot of the harness, on top of the test defaults. */
  env?: Record<string, string>;
  /** Let the bots listen on their PORT (webhook mode needs it). */
  listen?: boolean;
}

/** The Telegram user the sandbox's chat page plays. */
export const PAGE_USER = { id: 424242, first_name: 'Page' };

const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** The bot's environment for tests: the sandbox, no throttling pause per chat, short retries. */
export function botTestEnv(input: {
  services: DataServices;
  rabbitmqUrl: string;
  redisUrl: string;
  apiRoot: string;
  token: string;
}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_POSTGRES_URL: input.services.dataPostgresUrl,
    DATA_MONGO_URL: input.services.dataMongoUrl,
    DATA_SERVICE_TOKEN: input.services.tokens.bot,
    REDIS_URL: input.redisUrl,
    RABBITMQ_URL: input.rabbitmqUrl,
    CHROMA_URL: process.env.CHROMA_URL ?? 'http://127.0.0.1:8100',
    BOT_TOKEN: input.token,
    TELEGRAM_API_ROOT: input.apiRoot,
    BOT_CHAT_MIN_INTERVAL_MS: '0',
    BOT_GLOBAL_PER_SECOND: '1000',
    BOT_FILES_PAGE_SIZE: '2',
    SHUTDOWN_TIMEOUT_MS: '5000',
  };
}

/** Starts the sandbox, data services, a vhost and one bot. Call `stop()` in `afterAll`. */
export async function startBotHarness(options: BotHarnessOptions): Promise<BotHarness> {
  const token = generateBotToken();
  // The chat page at the sandbox's `/` talks as the harness's bot (user PAGE_USER).
  const sandbox = createSandbox({ pageToken: token, pageUser: PAGE_USER });
  const apiRoot = await sandbox.listen(0);
  const telegram = createSandboxClient(apiRoot, token);
  const vhost = await createTestVhost(options.label);
  const services = await startDataServices({ rabbitmqUrl: vhost.url });
  const redisUrl = isolatedRedisUrl();
  const redis = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  const bots: RunningBot[] = [];

  async function startBot(env: Record<string, string> = {}): Promise<RunningBot> {
    const config = loadBotConfig({
      ...botTestEnv({ services, rabbitmqUrl: vhost.url, redisUrl, apiRoot, token }),
      ...options.env,
      ...env,
    });
    const deps = createDeps(config, {
      onFatal: (error) => {
        throw error;
      },
    });
    await deps.redis.waitUntilReady();
    const app = await buildApp(deps);
    await app.ready();
    if (options.listen) await app.listen({ host: '127.0.0.1', port: config.port });
    await deps.start();
    await deps.telegramConnected();
    const running: RunningBot = {
      deps,
      app,
      config,
      async stop() {
        for (const closer of deps.closers) await Promise.resolve(closer.close()).catch(() => undefined);
        await app.close();
      },
    };
    bots.push(running);
    return running;
  }

  const bot = await startBot();
  const publisher = createMessaging({
    url: vhost.url,
    service: 'worker',
    events: EVENT_SCHEMAS,
    logger: quietLogger,
    registry: new Registry(),
    onFatal: () => undefined,
  });
  await publisher.start();
  const clientOptions = { callerName: 'api', serviceToken: services.tokens.api, logger: quietLogger };
  const dataPostgres = createDataPostgresClient({ ...clientOptions, baseUrl: services.dataPostgresUrl });
  const dataMongo = createDataMongoClient({ ...clientOptions, baseUrl: services.dataMongoUrl });

  const harness: BotHarness = {
    sandbox,
    sandboxUrl: apiRoot,
    telegram,
    services,
    vhost,
    bot,
    dataPostgres,
    dataMongo,
    publisher,
    redis,
    startBot,
    telegramUser: () => ({ id: randomInt(1_000_000, 2 ** 40), first_name: 'Ada' }),
    async createUser() {
      const tag = randomBytes(5).toString('hex');
      return dataPostgres.users.create({
        email: `bot-${tag}@example.com`,
        username: `bot_${tag}`,
        password_hash: `$argon2id$v=19$m=65536,t=3,p=4$${tag}${tag}$${tag}${tag}${tag}`,
      });
    },
    async issueLinkCode(userId, ttlMs = 600_000) {
      let code = '';
      for (let i = 0; i < 10; i += 1) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
      await redis.set(redisKey('linkcode', hashKeyPart(code)), userId, 'PX', ttlMs);
      return code;
    },
    async linkedUser() {
      const user = await harness.createUser();
      const person = harness.telegramUser();
      await telegram.sendText(person, `/start ${await harness.issueLinkCode(user.id)}`);
      await telegram.waitForBotMessage(person.id, (message) => message.text?.startsWith('Linked') ?? false);
      return { user: { ...user, telegram_id: person.id }, telegram: person };
    },
    async stop() {
      for (const running of bots) await running.stop().catch(() => undefined);
      await publisher.close();
      await dataPostgres.close();
      await dataMongo.close();
      redis.disconnect();
      await vhost.remove();
      await services.stop();
      await sandbox.close();
    },
  };
  return harness;
}
