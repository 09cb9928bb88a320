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
 * Creates the runner every MongoDB operation goes through. It records
 * `mongo_operation_duration_seconds{operation,outcome}` and turns an unreachable server into
 * `STORAGE.UNAVAILABLE` (503), so callers back off and retry instead of seeing an internal error.
 */
export function createMongoTimer(duration: Histogram<'operation' | 'outcome'>): MongoTimer {
  return async (operation, run) => {
    const end = duration.startTimer({ operation });
    try {
      const result = await run();
      end({ outcome: 'ok' });
      return result;
    } catch (error) {
      end({ outcome: 'error' });
      if (isServerUnreachable(error)) {
        throw storageErrors.UNAVAILABLE({ detail: 'MongoDB cannot be reached.', cause: error });
      }
      throw error;
    }
  };
}
