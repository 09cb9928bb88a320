import { CONSUMER_QUEUES, type DataPostgresClient, type UserUpdatedData } from '@flotilla/contracts';
import { createCompleteTelegramLink, createLinkCodes } from '@flotilla/identity';
import type { Messaging, ServiceRuntime } from '@flotilla/platform';
import type { Redis } from 'ioredis';
import type { ApiConfig } from '../../config.js';
import { createAccessTokens } from './adapters/access-tokens.jose.js';
import { createLoginLimiter } from './adapters/login-limiter.redis.js';
import { createArgon2Hasher } from './adapters/password-hasher.argon2.js';
import { createUserProfiles } from './adapters/user-profiles.cache.js';
import { createAuthenticate } from './application/authenticate.use-case.js';
import { createChangePassword } from './application/change-password.use-case.js';
import { createCreateTelegramLinkCode } from './application/create-telegram-link-code.use-case.js';
import type {
  AccessTokens,
  OutboxEvents,
  PasswordHasher,
  UserProfiles,
} from './application/identity.ports.js';
import { createListUsers } from './application/list-users.use-case.js';
import { createLogin } from './application/login.use-case.js';
import { createLogout } from './application/logout.use-case.js';
import { createRefreshSession } from './application/refresh-session.use-case.js';
import { createRegisterUser } from './application/register-user.use-case.js';
import { createSessionIssuer } from './application/session-issuer.js';
import { createSetUserStatus } from './application/set-user-status.use-case.js';
import { createUnlinkTelegram } from './application/unlink-telegram.use-case.js';
import { createUpdateProfile } from './application/update-profile.use-case.js';

/** The identity context wired: adapters and use cases. */
export interface Identity {
  accessTokens: AccessTokens;
  hasher: PasswordHasher;
  profiles: UserProfiles;
  useCases: ReturnType<typeof createUseCases>;
  /** Starts the `user.updated` consumer (after messaging has started). */
  startConsumers(): Promise<void>;
}

function createUseCases(deps: Parameters<typeof wire>[0], parts: ReturnType<typeof wire>) {
  const { logger } = deps.runtime;
  const users = deps.dataPostgres.users;
  const refreshTokens = deps.dataPostgres.refreshTokens;
  const { hasher, profiles, events, linkCodes, limiter, sessions } = parts;
  return {
    authenticate: createAuthenticate({ accessTokens: parts.accessTokens, profiles }),
    registerUser: createRegisterUser({ users, hasher, events }),
    login: createLogin({ users, hasher, limiter, sessions }),
    refreshSession: createRefreshSession({ refreshTokens, profiles, sessions, logger }),
    logout: createLogout({ refreshTokens }),
    updateProfile: createUpdateProfile({ users, profiles, events }),
    changePassword: createChangePassword({ users, refreshTokens, hasher, limiter, profiles, events }),
    setUserStatus: createSetUserStatus({ users, refreshTokens, profiles, events }),
    createTelegramLinkCode: createCreateTelegramLinkCode({ linkCodes }),
    completeTelegramLink: createCompleteTelegramLink({ users, linkCodes, profiles, events, logger }),
    unlinkTelegram: createUnlinkTelegram({ users, profiles, events }),
    listUsers: createListUsers({ users }),
  };
}

function wire(deps: {
  config: ApiConfig;
  runtime: ServiceRuntime;
  redis: Redis;
  dataPostgres: DataPostgresClient;
  messaging: Messaging;
}) {
  const { config, runtime, redis } = deps;
  const accessTokens = createAccessTokens({
    signingKey: config.jwtSigningKey,
    keyId: config.jwtKeyId,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttlSeconds: config.accessTokenTtlSeconds,
  });
  const hasher = createArgon2Hasher({
    memoryKib: config.argon2MemoryKib,
    timeCost: config.argon2TimeCost,
    parallelism: config.argon2Parallelism,
    concurrency: config.passwordHashConcurrency,
    maxWaiting: config.passwordHashQueueMax,
  });
  const profiles = createUserProfiles({
    redis,
    users: deps.dataPostgres.users,
    ttlSeconds: config.userCacheTtlSeconds,
    localSeconds: config.userLocalCacheSeconds,
    logger: runtime.logger,
    registry: runtime.metrics.registry,
  });
  const limiter = createLoginLimiter({
    redis,
    logger: runtime.logger,
    windowSeconds: config.loginWindowSeconds,
    maxPerIp: config.loginMaxPerIp,
    maxPerAccount: config.loginMaxPerAccount,
  });
  const linkCodes = createLinkCodes(redis, config.telegramLinkCodeTtlSeconds);
  const sessions = createSessionIssuer({
    accessTokens,
    refreshTokens: deps.dataPostgres.refreshTokens,
    refreshTtlSeconds: config.refreshTokenTtlSeconds,
  });
  const events: OutboxEvents = deps.messaging;
  return { accessTokens, hasher, profiles, limiter, linkCodes, sessions, events };
}

/** Wires the identity context from the api's shared dependencies. */
export function createIdentity(deps: Parameters<typeof wire>[0]): Identity {
  const parts = wire(deps);
  return {
    accessTokens: parts.accessTokens,
    hasher: parts.hasher,
    profiles: parts.profiles,
    useCases: createUseCases(deps, parts),
    async startConsumers() {
      await deps.messaging.consume<UserUpdatedData>({
        ...CONSUMER_QUEUES.apiUserCache,
        prefetch: 50,
        idempotencyTtlSeconds: 3600,
        handler: async (event) => {
          const dropped = await parts.profiles.invalidate(event.data.user_id);
          return dropped ? { action: 'ack' } : { action: 'retry', reason: 'redis unavailable' };
        },
      });
    },
  };
}
