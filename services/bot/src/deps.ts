import {
  CONSUMER_QUEUE_LIST,
  CONSUMER_QUEUES,
  createDataMongoClient,
  createDataPostgresClient,
  type DataMongoClient,
  type DataPostgresClient,
  EVENT_SCHEMAS,
} from '@flotilla/contracts';
import { createCompleteTelegramLink, createLinkCodes } from '@flotilla/identity';
import { createKnowledgeBase, type KnowledgeBase } from '@flotilla/knowledge';
import {
  createBusinessRuntime,
  type Messaging,
  type RedisConnection,
  readPackageVersion,
  type ServiceRuntime,
} from '@flotilla/platform';
import type { Bot } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { BotConfig } from './config.js';
import { createUnlinkTelegram } from './modules/accounts/application/unlink-telegram.use-case.js';
import { createGetJobStatus } from './modules/files/application/get-job-status.use-case.js';
import { createGetMyStats } from './modules/files/application/get-my-stats.use-case.js';
import { createListFiles } from './modules/files/application/list-files.use-case.js';
import {
  createBlockedChats,
  createProgressMessages,
} from './modules/notifications/adapters/chat-state.redis.js';
import { createNotificationsConsumer } from './modules/notifications/adapters/notifications.consumer.js';
import { createTelegramNotifier } from './modules/notifications/adapters/telegram.notifier.js';
import { createNotifyJobEvent } from './modules/notifications/application/notify-job-event.use-case.js';
import { type BotMetrics, createBotMetrics } from './telegram/bot.metrics.js';
import type { BotContext } from './telegram/bot-context.js';
import { createTelegramBot } from './telegram/create-bot.js';
import { createLinkAccount } from './telegram/link-account.js';
import { createReceiveFile } from './telegram/receive-file.js';
import { createTelegramConnection } from './telegram/telegram-connection.js';

/** Everything bot needs, built once by {@link createDeps}: the composition root. */
export interface BotDeps {
  config: BotConfig;
  runtime: ServiceRuntime;
  redis: RedisConnection;
  dataPostgres: DataPostgresClient;
  dataMongo: DataMongoClient;
  messaging: Messaging;
  knowledgeBase: KnowledgeBase;
  metrics: BotMetrics;
  /** The grammY bot (handlers installed; polling or the webhook started by `start()`). */
  bot: Bot<BotContext>;
  /** Connects messaging and starts the notifications consumer; then connects to Telegram in the background. */
  start: () => Promise<void>;
  /** Resolves once polling runs or the webhook is registered. */
  telegramConnected: () => Promise<void>;
  /** Closed in this order after the HTTP server has drained (the first ones stop the intake). */
  closers: Array<{ name: string; close: () => Promise<void> | void }>;
}

/** Options of {@link createDeps}. */
export interface CreateDepsOptions {
  logDestination?: NodeJS.WritableStream;
  /** Prefix of the queue names (tests isolate themselves with one); none by default. */
  queuePrefix?: string;
  /** Called when the broker stays unreachable; by default logs and exits 1 so the supervisor restarts us. */
  onFatal?: (error: Error) => void;
  /** Replaces the knowledge base built from config (tests use their own). */
  knowledgeBase?: KnowledgeBase;
  /** The bot's identity, when known (skips getMe). */
  botInfo?: UserFromGetMe;
}

/** Wires bot's dependencies from its configuration. Nothing is awaited here: call `start()`. */
export function createDeps(config: BotConfig, options: CreateDepsOptions = {}): BotDeps {
  const base = createBusinessRuntime({
    service: 'bot',
    version: readPackageVersion(import.meta.url),
    config,
    clients: { dataPostgres: createDataPostgresClient, dataMongo: createDataMongoClient },
    events: EVENT_SCHEMAS,
    queues: CONSUMER_QUEUE_LIST,
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    ...(options.queuePrefix ? { queuePrefix: options.queuePrefix } : {}),
    ...(options.onFatal ? { onFatal: options.onFatal } : {}),
  });
  const { runtime, redis, dataPostgres, dataMongo, messaging } = base;
  const { logger } = runtime;
  const registry = runtime.metrics.registry;
  const knowledgeBase =
    options.knowledgeBase ??
    createKnowledgeBase(config.knowledge, { chromaUrl: config.chromaUrl, registry, logger });
  const metrics = createBotMetrics(registry);
  const blocked = createBlockedChats(redis.client, config.blockedTtlSeconds);
  const progress = createProgressMessages(redis.client);
  const users = dataPostgres.users;
  const jobs = dataPostgres.mediaJobs;

  const bot = createTelegramBot({
    token: config.botToken,
    apiRoot: config.telegramApiRoot,
    redis: redis.client,
    logger,
    metrics,
    blocked,
    sessionTtlSeconds: config.sessionTtlSeconds,
    updateDedupeSeconds: config.updateDedupeSeconds,
    chatMinIntervalMs: config.chatMinIntervalMs,
    globalPerSecond: config.globalPerSecond,
    retryMaxDelaySeconds: config.retryMaxDelaySeconds,
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
    services: {
      findUser: (telegramId) => users.getByTelegramId(telegramId),
      linkTelegram: createLinkAccount(
        createCompleteTelegramLink({
          users,
          // Codes are issued by the api (with its TTL); the bot only consumes them.
          linkCodes: createLinkCodes(redis.client, 0),
          events: messaging,
          logger,
        }),
      ),
      unlinkTelegram: createUnlinkTelegram({ users, events: messaging }),
      listFiles: createListFiles({ jobs, pageSize: config.filesPageSize }),
      getJobStatus: createGetJobStatus({ jobs }),
      ask: (input) => knowledgeBase.ask(input),
      getMyStats: createGetMyStats({ analytics: dataMongo.analytics }),
      receiveFile: createReceiveFile({ config, dataPostgres, dataMongo, messaging, redis, logger }),
      progress,
      maxPhotoBytes: config.maxPhotoBytes,
      maxDocumentBytes: config.knowledge.limits.maxBytes,
    },
  });
  const notify = createNotifyJobEvent({
    sources: { users, documents: dataPostgres.documents, blobs: dataMongo.blobs },
    notifier: createTelegramNotifier(bot.api),
    progress,
    blocked,
  });

  const telegram = createTelegramConnection(
    bot,
    config.mode === 'polling'
      ? { mode: 'polling' }
      : { mode: 'webhook', url: config.webhookUrl ?? '', secret: config.webhookSecret ?? '' },
    logger,
  );
  runtime.health.addCheck('telegram', telegram.check);
  return {
    config,
    runtime,
    redis,
    dataPostgres,
    dataMongo,
    messaging,
    knowledgeBase,
    metrics,
    bot,
    async start() {
      await messaging.start();
      await messaging.consume({
        ...CONSUMER_QUEUES.botNotifications,
        prefetch: config.notificationsPrefetch,
        handler: createNotificationsConsumer({ notify, metrics, logger }),
      });
      telegram.start();
    },
    telegramConnected: () => telegram.connected(),
    closers: base.closers({
      first: [{ name: 'telegram', close: () => telegram.stop() }],
      afterBroker: [{ name: 'knowledge', close: () => knowledgeBase.close() }],
    }),
  };
}
