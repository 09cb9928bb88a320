import type { DataPostgresClient, User, UserRole } from '@flotilla/contracts';

/** The authenticated caller of a request. */
export interface Principal {
  id: string;
  role: UserRole;
}

/** Computes and checks password hashes (argon2id). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** Spends the time of a verification without a stored hash (unknown email), against timing probes. */
  verifyNothing(password: string): Promise<void>;
}

/** Issues and verifies access JWTs. */
export interface AccessTokens {
  readonly ttlSeconds: number;
  issue(principal: Principal): Promise<string>;
  /** The token's principal; throws AUTH.TOKEN_INVALID or AUTH.TOKEN_EXPIRED. */
  verify(token: string): Promise<Principal>;
}

/** Users as data-postgres stores them (the typed client is the port). */
export type UserDirectory = DataPostgresClient['users'];

/** Refresh tokens as data-postgres stores them (hashes only). */
export type RefreshTokenStore = DataPostgresClient['refreshTokens'];

/** Read-through cache of user profiles. */
export interface UserProfiles {
  /** The user, from the cache or else the data service; null when there is none. */
  get(id: string): Promise<User | null>;
  /** Drops the cached profile (after every write; on `user.updated`); false when Redis failed. */
  invalidate(id: string): Promise<boolean>;
  /** Stops keeping profiles in memory and closes what the cache opened. */
  close(): Promise<void>;
}

/** Login throttling per client IP and per account. */
export interface LoginLimiter {
  /** Counts an attempt from `ip` and checks both limits; throws AUTH.TOO_MANY_ATTEMPTS (or fails closed). */
  check(ip: string, account: string): Promise<void>;
  /** Counts a failed attempt against the account. */
  recordFailure(account: string): Promise<void>;
  /** Clears the account's failures after a successful login. */
  reset(account: string): Promise<void>;
}

/** One-time Telegram link codes (stored hashed, expiring): `@flotilla/identity`'s port. */
/** Builds events to store with the write they report (data-postgres publishes them once it commits). */
export type { LinkCodes, OutboxEvents } from '@flotilla/identity';
