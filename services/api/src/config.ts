import { knowledgeEnv, toKnowledgeConfig } from '@flotilla/knowledge';
import {
  businessServiceEnv,
  ConfigError,
  type ConfigIssue,
  commonEnv,
  loadConfig,
  Secret,
  toBusinessServiceConfig,
  toCommonConfig,
} from '@flotilla/platform';
import { Type } from 'typebox';

const Int = (minimum: number, maximum: number, defaultValue: number, description: string) =>
  Type.Integer({ minimum, maximum, default: defaultValue, description });

const Name = (defaultValue: string, description: string) =>
  Type.String({ minLength: 1, maxLength: 200, pattern: '^[ -~]+$', default: defaultValue, description });

/**
 * Every environment variable api reads, with a default only where one is safe.
 * A flat list: each feature adds its own variables here (and maps them in {@link loadApiConfig}).
 */
export const ApiEnv = Type.Object({
  ...commonEnv(8000),
  ...businessServiceEnv(),
  TRUST_PROXY: Type.Boolean({
    default: false,
    description: 'Trust `X-Forwarded-For` from the gateway in front (client IPs for rate limits).',
  }),
  CORS_ORIGINS: Type.String({
    default: '',
    maxLength: 4096,
    pattern: '^(https?://[^,\\s]+(,https?://[^,\\s]+)*)?$',
    description: 'Comma-separated origins allowed by CORS (exact match); empty = no cross-origin access.',
  }),
  JWT_SIGNING_KEY: Secret('HMAC-SHA256 key that signs and verifies access tokens (HS256).'),
  JWT_KEY_ID: Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: '^[A-Za-z0-9._-]+$',
    default: 'api-1',
    description: 'Key id (`kid`) written in and required of access tokens; change it when rotating the key.',
  }),
  JWT_ISSUER: Name('flotilla-api', 'Issuer (`iss`) of access tokens.'),
  JWT_AUDIENCE: Name('flotilla', 'Audience (`aud`) of access tokens.'),
  ACCESS_TOKEN_TTL_SECONDS: Int(60, 3600, 900, 'Lifetime of an access token.'),
  REFRESH_TOKEN_TTL_SECONDS: Int(300, 90 * 24 * 3600, 30 * 24 * 3600, 'Lifetime of a refresh token.'),
  ARGON2_MEMORY_KIB: Int(
    19_456,
    4 * 1024 * 1024,
    19_456,
    'argon2id memory cost in KiB (OWASP minimum 19 MiB).',
  ),
  ARGON2_TIME_COST: Int(2, 20, 2, 'argon2id iterations (OWASP minimum 2).'),
  ARGON2_PARALLELISM: Int(1, 16, 1, 'argon2id lanes.'),
  PASSWORD_HASH_CONCURRENCY: Int(1, 64, 2, 'Password hashes computed at once by this process; others wait.'),
  PASSWORD_HASH_QUEUE_MAX: Int(
    1,
    10_000,
    64,
    'Password hashes waiting at most; beyond it login/register answer 503 (retryable).',
  ),
  PASSWORD_MIN_LENGTH: Int(8, 128, 10, 'Shortest password accepted (characters).'),
  PASSWORD_MAX_LENGTH: Int(16, 1024, 128, 'Longest password accepted (characters): bounds hashing cost.'),
  LOGIN_WINDOW_SECONDS: Int(1, 24 * 3600, 900, 'Window of the login rate limits.'),
  LOGIN_MAX_PER_IP: Int(
    1,
    1_000_000,
    100,
    'Login attempts allowed per client IP per window (several users may share an address).',
  ),
  LOGIN_MAX_PER_ACCOUNT: Int(1, 10_000, 5, 'Login attempts allowed per account (email) per window.'),
  USER_CACHE_TTL_SECONDS: Int(1, 24 * 3600, 300, 'Lifetime of a cached user profile in Redis.'),
  USER_LOCAL_CACHE_SECONDS: Int(
    0,
    300,
    10,
    'How long the api also keeps a profile read from Redis in memory, so a cached read makes no Redis round trip. Redis reports every change of a cached profile to every api process (`CLIENT TRACKING`), which drops its copy at once; this bounds the age of a copy should that report be lost. 0 turns the in-memory copy off.',
  ),
  IDEMPOTENCY_TTL_SECONDS: Int(
    60,
    7 * 24 * 3600,
    24 * 3600,
    'How long a stored reply to an `Idempotency-Key` is replayed.',
  ),
  IDEMPOTENCY_PENDING_TTL_SECONDS: Int(
    1,
    3600,
    60,
    'How long a request in progress holds its `Idempotency-Key` (a crashed request frees it after this).',
  ),
  TELEGRAM_LINK_CODE_TTL_SECONDS: Int(60, 3600, 600, 'Lifetime of a one-time Telegram link code.'),
  MEDIA_MAX_UPLOAD_BYTES: Int(
    1024,
    1024 * 1024 * 1024,
    10 * 1024 * 1024,
    'Largest photo accepted by `POST /media`, in bytes (413 above; counted while streaming). Documents use KNOWLEDGE_DOCUMENT_MAX_BYTES.',
  ),
  UPLOADS_MAX_IN_FLIGHT: Int(
    1,
    1000,
    8,
    'Uploads (photos and documents) this process streams into storage at once; the next one is refused at once with 503 `UPLOAD.BUSY` and `Retry-After`.',
  ),
  UPLOADS_RETRY_AFTER_SECONDS: Int(1, 600, 2, '`Retry-After` of a 503 `UPLOAD.BUSY`.'),
  MEDIA_EVENTS_POLL_MS: Int(50, 60_000, 1000, 'How often `GET /media/:id/events` reads the job for changes.'),
  MEDIA_EVENTS_HEARTBEAT_SECONDS: Int(
    1,
    300,
    15,
    'Longest silence on a job event stream before a heartbeat comment.',
  ),
  MEDIA_EVENTS_MAX_SECONDS: Int(
    5,
    24 * 3600,
    600,
    'Longest life of one job event stream (the client reconnects).',
  ),
  STATS_CACHE_SECONDS: Int(
    1,
    3600,
    30,
    'How long `GET /stats/me` and `/stats/system` reports are cached in Redis.',
  ),
  ...knowledgeEnv(),
});

/** The parsed configuration of api: one flat object, one field per variable. */
export type ApiConfig = ReturnType<typeof loadApiConfig>;

/** Parses the environment once; throws a ConfigError listing every missing or invalid variable. */
export function loadApiConfig(source?: Record<string, string | undefined>) {
  const env = loadConfig(ApiEnv, { service: 'api', ...(source ? { env: source } : {}) });
  const issues: ConfigIssue[] = [];
  if (env.PASSWORD_MAX_LENGTH < env.PASSWORD_MIN_LENGTH) {
    issues.push({ variable: 'PASSWORD_MAX_LENGTH', message: 'must be at least PASSWORD_MIN_LENGTH' });
  }
  if (issues.length > 0) throw new ConfigError('api', issues);
  return {
    ...toCommonConfig(env),
    ...toBusinessServiceConfig(env),
    trustProxy: env.TRUST_PROXY,
    corsOrigins: env.CORS_ORIGINS === '' ? [] : env.CORS_ORIGINS.split(','),
    jwtSigningKey: env.JWT_SIGNING_KEY,
    jwtKeyId: env.JWT_KEY_ID,
    jwtIssuer: env.JWT_ISSUER,
    jwtAudience: env.JWT_AUDIENCE,
    accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
    argon2MemoryKib: env.ARGON2_MEMORY_KIB,
    argon2TimeCost: env.ARGON2_TIME_COST,
    argon2Parallelism: env.ARGON2_PARALLELISM,
    passwordHashConcurrency: env.PASSWORD_HASH_CONCURRENCY,
    passwordHashQueueMax: env.PASSWORD_HASH_QUEUE_MAX,
    passwordMinLength: env.PASSWORD_MIN_LENGTH,
    passwordMaxLength: env.PASSWORD_MAX_LENGTH,
    loginWindowSeconds: env.LOGIN_WINDOW_SECONDS,
    loginMaxPerIp: env.LOGIN_MAX_PER_IP,
    loginMaxPerAccount: env.LOGIN_MAX_PER_ACCOUNT,
    userCacheTtlSeconds: env.USER_CACHE_TTL_SECONDS,
    userLocalCacheSeconds: env.USER_LOCAL_CACHE_SECONDS,
    idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
    idempotencyPendingTtlSeconds: env.IDEMPOTENCY_PENDING_TTL_SECONDS,
    telegramLinkCodeTtlSeconds: env.TELEGRAM_LINK_CODE_TTL_SECONDS,
    mediaMaxUploadBytes: env.MEDIA_MAX_UPLOAD_BYTES,
    uploadsMaxInFlight: env.UPLOADS_MAX_IN_FLIGHT,
    uploadsRetryAfterSeconds: env.UPLOADS_RETRY_AFTER_SECONDS,
    mediaEventsPollMs: env.MEDIA_EVENTS_POLL_MS,
    mediaEventsHeartbeatSeconds: env.MEDIA_EVENTS_HEARTBEAT_SECONDS,
    mediaEventsMaxSeconds: env.MEDIA_EVENTS_MAX_SECONDS,
    statsCacheSeconds: env.STATS_CACHE_SECONDS,
    knowledge: toKnowledgeConfig(env),
  };
}
