import { createSemaphore } from '@flotilla/platform';
import { type Algorithm, hash, verify } from '@node-rs/argon2';
import type { PasswordHasher } from '../application/identity.ports.js';
import { identityErrors } from '../domain/identity.errors.js';

const ARGON2ID = 2 as Algorithm;

/** argon2id parameters; the config enforces at least OWASP's minimum (19 MiB, t=2, p=1). */
export interface Argon2Options {
  memoryKib: number;
  timeCost: number;
  parallelism: number;
  /** Hashes computed at once; the rest wait (at most `maxWaiting`, then AUTH.BUSY). */
  concurrency: number;
  maxWaiting: number;
}

/**
 * Password hashing with argon2id (`@node-rs/argon2`, computed off the event loop). Concurrency is bounded
 * by a semaphore so a burst of logins cannot take all memory (each hash holds `memoryKib`).
 */
export function createArgon2Hasher(options: Argon2Options): PasswordHasher {
  const params = {
    algorithm: ARGON2ID,
    memoryCost: options.memoryKib,
    timeCost: options.timeCost,
    parallelism: options.parallelism,
  };
  const gate = createSemaphore(options.concurrency, {
    maxWaiting: options.maxWaiting,
    onFull: () => identityErrors.HASHING_BUSY(),
  });
  // Verified when an email is unknown, so that answer takes as long as a wrong password.
  let dummy: Promise<string> | undefined;

  return {
    hash: (password) => gate.run(() => hash(password, params)),
    verify: (passwordHash, password) =>
      gate.run(async () => {
        try {
          return await verify(passwordHash, password);
        } catch {
          return false; // a malformed stored hash never matches
        }
      }),
    async verifyNothing(password) {
      dummy ??= hash('flotilla-timing-equaliser', params);
      const stored = await dummy;
      await gate.run(() => verify(stored, password).catch(() => false));
    },
  };
}
