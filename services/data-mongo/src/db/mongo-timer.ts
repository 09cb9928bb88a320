import { type DomainError, retryAfterWait } from '@flotilla/platform';
import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import type { Histogram } from 'prom-client';
import type { MongoOperation } from '../metrics.js';
import { storageErrors } from './storage.errors.js';

/** Runs a MongoDB operation: times it under `operation`, and reports an unreachable server as such. */
export type MongoTimer = <T>(operation: MongoOperation, run: () => Promise<T>) => Promise<T>;

/** Socket errors the driver can let through unwrapped when the server goes away mid-operation. */
const CONNECTION_LOST_CODES: ReadonlySet<string> = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
]);

/** True for errors meaning the server could not be reached (rather than that it refused the operation). */
export function isServerUnreachable(error: unknown): boolean {
  return (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    (error instanceof Error && CONNECTION_LOST_CODES.has(String((error as { code?: unknown }).code)))
  );
}

/**
 * `STORAGE.UNAVAILABLE` (503) for a server that could not be reached. When the driver found no server
 * in the whole of `waitMs` (MONGO_TIMEOUT_MS: a server selection error), the answer's `Retry-After` is
 * that wait in whole seconds: a caller asking again sooner would only wait it again, and a service
 * client whose retry budget is shorter answers its own caller at once instead of waiting a second time.
 * A connection lost mid-operation is known at once and keeps the short default (a retry may well find
 * the server again).
 */
export function storeUnreachable(cause: unknown, waitMs: number): DomainError {
  return storageErrors.UNAVAILABLE({
    detail: 'MongoDB cannot be reached.',
    cause,
    ...(cause instanceof MongoServerSelectionError ? retryAfterWait(waitMs) : {}),
  });
}

/**
 * Creates the runner every MongoDB operation goes through. It records
 * `mongo_operation_duration_seconds{operation,outcome}` and turns an unreachable server into
 * {@link storeUnreachable} (503 with `Retry-After`), so callers back off instead of seeing an internal
 * error. `waitMs` is how long the driver waits for a server (MONGO_TIMEOUT_MS).
 */
export function createMongoTimer(duration: Histogram<'operation' | 'outcome'>, waitMs: number): MongoTimer {
  return async (operation, run) => {
    const end = duration.startTimer({ operation });
    try {
      const result = await run();
      end({ outcome: 'ok' });
      return result;
    } catch (error) {
      end({ outcome: 'error' });
      if (isServerUnreachable(error)) {
        throw storeUnreachable(error, waitMs);
      }
      throw error;
    }
  };
}
