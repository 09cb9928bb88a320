import { hashKeyPart, type Logger, redisKey } from '@flotilla/platform';
import type { Redis } from 'ioredis';
import type { LoginLimiter } from '../application/identity.ports.js';
import { identityErrors } from '../domain/identity.errors.js';

/** Options of {@link createLoginLimiter}. */
export interface LoginLimiterOptions {
  redis: Redis;
  logger: Logger;
  windowSeconds: number;
  /** Attempts (successful or not) per client IP per window. */
  maxPerIp: number;
  /** Failed attempts per account per window; reset by a successful login. */
  maxPerAccount: number;
  now?: () => number;
}

/**
 * Fixed-window login limits in Redis: `ratelimit:login:ip:<hash>:<window>` counts every attempt of an IP,
 * `ratelimit:login:account:<hash>:<window>` the failures of an account (subjects are hashed: IPv6
 * addresses hold `:` and emails are personal data). Fails closed: when Redis cannot answer, login is
 * refused with 503 AUTH.LIMITER_UNAVAILABLE.
 */
export function createLoginLimiter(options: LoginLimiterOptions): LoginLimiter {
  const { redis, windowSeconds } = options;
  const now = options.now ?? Date.now;
  const windowOf = () => Math.floor(now() / 1000 / windowSeconds);
  const subject = (value: string) => hashKeyPart(value).slice(0, 32);
  const ipKey = (ip: string, window: number) =>
    redisKey('ratelimit', 'login', `ip-${subject(ip)}`, String(window));
  const accountKey = (account: string, window: number) =>
    redisKey('ratelimit', 'login', `account-${subject(account.toLowerCase())}`, String(window));
  const retryAfter = () => windowSeconds - (Math.floor(now() / 1000) % windowSeconds);

  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      options.logger.warn({ err: error }, 'login limiter unavailable: refusing logins (fail closed)');
      throw identityErrors.LIMITER_UNAVAILABLE({ cause: error });
    }
  }

  return {
    async check(ip, account) {
      const window = windowOf();
      const replies = await guarded(() =>
        redis
          .multi()
          .incr(ipKey(ip, window))
          .expire(ipKey(ip, window), windowSeconds * 2)
          .get(accountKey(account, window))
          .exec(),
      );
      if (!replies || replies.some(([error]) => error)) {
        throw identityErrors.LIMITER_UNAVAILABLE({ detail: 'Rate limit state could not be read' });
      }
      const ipCount = Number(replies[0]?.[1]);
      const accountFailures = Number(replies[2]?.[1] ?? 0);
      if (ipCount > options.maxPerIp || accountFailures >= options.maxPerAccount) {
        const seconds = retryAfter();
        throw identityErrors.TOO_MANY_ATTEMPTS({
          detail: `Try again in ${seconds} s`,
          data: { retry_after_seconds: seconds },
        });
      }
    },
    async recordFailure(account) {
      const key = accountKey(account, windowOf());
      await guarded(() =>
        redis
          .multi()
          .incr(key)
          .expire(key, windowSeconds * 2)
          .exec(),
      );
    },
    async reset(account) {
      await guarded(() => redis.del(accountKey(account, windowOf())));
    },
  };
}
