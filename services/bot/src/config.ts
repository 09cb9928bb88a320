import { knowledgeEnv, toKnowledgeConfig } from '@flotilla/knowledge';
import {
  businessServiceEnv,
  ConfigError,
  type ConfigIssue,
  commonEnv,
  HttpUrl,
  loadConfig,
  toBusinessServiceConfig,
  toCommonConfig,
} from '@flotilla/platform';
import { Type } from 'typebox';

const Int = (minimum: number, maximum: number, defaultValue: number, description: string) =>
  Type.Integer({ minimum, maximum, default: defaultValue, description });

/** Every environment variable bot reads, with a default only where one is safe. */
export const BotEnv = Type.Object({
  ...commonEnv(8003),
  ...businessServiceEnv(),
  BOT_TOKEN: Type.String({
    pattern: '^[0-9]{1,15}:[A-Za-z0-9_-]{10,100}$',
    description:
      "The bot's token from @BotFather (`123456:ABC...`); `npm start` without one starts the local Bot API sandbox with a generated token. Secret; no default.",
  }),
  TELEGRAM_API_ROOT: HttpUrl(
    'Base URL of the Bot API (the local sandbox is `http://127.0.0.1:8081`).',
    'https://api.telegram.org',
  ),
  BOT_MODE: Type.Union([Type.Literal('polling'), Type.Literal('webhook')], {
    default: 'polling',
    description: 'How updates arrive: long polling (grammY runner) or a webhook (`POST /telegram/webhook`).',
  }),
  BOT_WEBHOOK_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s]+$',
      description:
        'Public URL Telegram posts updates to (through the gateway), registered with setWebhook at start. Webhook mode only.',
    }),
  ),
  BOT_WEBHOOK_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      maxLength: 256,
      pattern: '^[A-Za-z0-9_-]+$',
      description:
        'Secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (letters, digits, `_`, `-`). Required in webhook mode. Secret, at least 32 characters; no default.',
    }),
  ),
  BOT_MAX_PHOTO_BYTES: Int(
    1024,
    20 * 1024 * 1024,
    10 * 1024 * 1024,
    "Largest photo the bot accepts, in bytes (checked from the update before any download; Telegram's own getFile limit is 20 MB). Documents use KNOWLEDGE_DOCUMENT_MAX_BYTES.",
  ),
  BOT_SESSION_TTL_SECONDS: Int(
    60,
    90 * 24 * 3600,
    7 * 24 * 3600,
    'Lifetime of an idle chat session in Redis.',
  ),
  BOT_UPDATE_DEDUPE_SECONDS: Int(
    60,
    7 * 24 * 3600,
    24 * 3600,
    'How long an update id is remembered, so a redelivered update is handled once.',
  ),
  BOT_FILES_PAGE_SIZE: Int(1, 20, 5, 'Files listed per page by `/files`.'),
  BOT_CHAT_MIN_INTERVAL_MS: Int(
    0,
    10_000,
    1000,
    'Shortest interval between two messages to one chat (the throttler; Telegram allows about one per second).',
  ),
  BOT_GLOBAL_PER_SECOND: Int(
    1,
    10_000,
    30,
    'Messages per second to all chats at most (Telegram allows about 30).',
  ),
  BOT_RETRY_MAX_DELAY_SECONDS: Int(
    1,
    3600,
    60,
    "Longest `retry_after` waited on a 429 before a call fails (auto-retry); Telegram's flood waits can be longer.",
  ),
  BOT_NOTIFICATIONS_PREFETCH: Int(1, 500, 16, 'Notification events handled at once by this process.'),
  BOT_BLOCKED_TTL_DAYS: Int(1, 3650, 30, 'How long a chat that blocked the bot (403) is not written to.'),
  ...knowledgeEnv(),
});

/** The parsed configuration of bot. */
export type BotConfig = ReturnType<typeof loadBotConfig>;

/** Parses the environment once; throws a ConfigError listing every missing or invalid variable. */
export function loadBotConfig(source?: Record<string, string | undefined>) {
  const env = loadConfig(BotEnv, { service: 'bot', ...(source ? { env: source } : {}) });
  const issues: ConfigIssue[] = [];
  if (env.BOT_MODE === 'webhook') {
    for (const name of ['BOT_WEBHOOK_URL', 'BOT_WEBHOOK_SECRET'] as const) {
      if (!env[name]) issues.push({ variable: name, message: 'is required when BOT_MODE=webhook' });
    }
  }
  if (issues.length > 0) throw new ConfigError('bot', issues);
  return {
    ...toCommonConfig(env),
    ...toBusinessServiceConfig(env),
    botToken: env.BOT_TOKEN,
    telegramApiRoot: env.TELEGRAM_API_ROOT.replace(/\/$/, ''),
    mode: env.BOT_MODE,
    webhookUrl: env.BOT_WEBHOOK_URL,
    webhookSecret: env.BOT_WEBHOOK_SECRET,
    maxPhotoBytes: env.BOT_MAX_PHOTO_BYTES,
    sessionTtlSeconds: env.BOT_SESSION_TTL_SECONDS,
    updateDedupeSeconds: env.BOT_UPDATE_DEDUPE_SECONDS,
    filesPageSize: env.BOT_FILES_PAGE_SIZE,
    chatMinIntervalMs: env.BOT_CHAT_MIN_INTERVAL_MS,
    globalPerSecond: env.BOT_GLOBAL_PER_SECOND,
    retryMaxDelaySeconds: env.BOT_RETRY_MAX_DELAY_SECONDS,
    notificationsPrefetch: env.BOT_NOTIFICATIONS_PREFETCH,
    blockedTtlSeconds: env.BOT_BLOCKED_TTL_DAYS * 24 * 3600,
    knowledge: toKnowledgeConfig(env),
  };
}
