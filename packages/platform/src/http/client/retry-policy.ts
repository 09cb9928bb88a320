import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RetryOptions } from './client-options.js';
import { isTransportDomainError } from './transport-failures.js';

/** Methods that are idempotent by definition (RFC 9110), hence retried without being told. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Statuses that say "try again": the upstream (or a proxy in front of it) did not handle the request. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** True when a request may be sent twice: an idempotent method, or the caller vouches for it. */
export function isIdempotentRequest(method: string, idempotent: boolean | undefined): boolean {
  return idempotent ?? IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** Milliseconds a `Retry-After` header asks to wait (seconds or an HTTP date); `undefined` if absent or invalid. */
export function parseRetryAfterMs(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const trimmed = raw.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form names a day or month; this keeps `Date.parse` from accepting e.g. "-1".
  if (!/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Backoff before retry number `retry` (1 for the first retry): exponential with full jitter, a random
 * delay between 0 and `min(maxDelayMs, baseDelayMs * 2^(retry - 1))`.
 */
export function fullJitterDelayMs(
  retry: number,
  options: RetryOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** What an attempt produced, as far as retrying is concerned. */
export type AttemptSettlement = { status: number; headers: IncomingHttpHeaders } | { error: unknown };

/** Whether to retry, and after how long. */
export type RetryDecision = { retry: false } | { retry: true; delayMs: number; reason: string };

/**
 * Decides whether a failed attempt is retried: only transport failures (connection errors, timeouts)
 * and 429/502/503/504. A 429 waits for its `Retry-After` when that fits within `maxDelayMs`, and is not
 * retried when it asks for longer. A 503 is retried with the usual backoff unless its `Retry-After` asks
 * for longer than `maxDelayMs`: the upstream then says it will not be back within the retry budget (a
 * data service whose store did not answer in its own timeout says so), and another attempt would only
 * wait that timeout again. Whether the request may be retried at all is the caller's business.
 */
export function decideRetry(
  settlement: AttemptSettlement,
  retry: number,
  options: RetryOptions,
): RetryDecision {
  if ('error' in settlement) {
    if (!isTransportDomainError(settlement.error)) return { retry: false };
    const code = (settlement.error as { code: string }).code;
    return { retry: true, delayMs: fullJitterDelayMs(retry, options), reason: code };
  }
  if (!RETRYABLE_STATUSES.has(settlement.status)) return { retry: false };
  if (settlement.status === 429 || settlement.status === 503) {
    const asked = parseRetryAfterMs(settlement.headers['retry-after']);
    if (asked !== undefined && asked > options.maxDelayMs) return { retry: false };
    if (asked !== undefined && settlement.status === 429)
      return { retry: true, delayMs: asked, reason: '429' };
  }
  return { retry: true, delayMs: fullJitterDelayMs(retry, options), reason: String(settlement.status) };
}

/** Hooks and limits of {@link runWithRetries}. */
export interface RunWithRetriesOptions<T> {
  /** Retries allowed after the first attempt (0 when the request is not replayable). */
  retries: number;
  /** Turns an attempt's result into a settlement for {@link decideRetry}-like decisions. */
  settle: (value: T) => AttemptSettlement;
  decide: (settlement: AttemptSettlement, retry: number) => RetryDecision;
  /** Aborts the backoff wait; the abort reason is then thrown. */
  signal: AbortSignal;
  /** Called before each backoff wait (for logs and metrics). */
  onRetry?: (retry: number, decision: { delayMs: number; reason: string }) => void;
}

/**
 * Runs `attempt` until it succeeds, a failure is not retryable, or the retries run out. Returns the last
 * result or throws the last error, so the caller sees exactly what the final attempt produced.
 */
export async function runWithRetries<T>(
  attempt: () => Promise<T>,
  options: RunWithRetriesOptions<T>,
): Promise<T> {
  for (let retry = 1; ; retry++) {
    let settlement: AttemptSettlement;
    let value: T | undefined;
    let failed = false;
    let error: unknown;
    try {
      value = await attempt();
      settlement = options.settle(value);
    } catch (caught) {
      failed = true;
      error = caught;
      settlement = { error: caught };
    }
    const decision: RetryDecision =
      retry <= options.retries && !options.signal.aborted
        ? options.decide(settlement, retry)
        : { retry: false };
    if (!decision.retry) {
      if (failed) throw error;
      return value as T;
    }
    options.onRetry?.(retry, decision);
    try {
      await sleep(decision.delayMs, undefined, { signal: options.signal });
    } catch {
      // The call was aborted during the backoff: report what the last attempt produced.
      if (failed) throw error;
      return value as T;
    }
  }
}
