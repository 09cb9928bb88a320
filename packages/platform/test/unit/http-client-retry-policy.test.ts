import { describe, expect, it } from 'vitest';
import { platformErrors } from '../../src/errors/platform-errors.js';
import {
  decideRetry,
  fullJitterDelayMs,
  isIdempotentRequest,
  parseRetryAfterMs,
  runWithRetries,
} from '../../src/http/client/retry-policy.js';

const options = { retries: 2, baseDelayMs: 100, maxDelayMs: 1000 };

describe('isIdempotentRequest', () => {
  it('treats GET, HEAD, PUT, DELETE and OPTIONS as idempotent, and POST and PATCH as not', () => {
    expect(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].map((m) => isIdempotentRequest(m, undefined))).toEqual(
      [true, true, true, true, true],
    );
    expect(isIdempotentRequest('POST', undefined)).toBe(false);
    expect(isIdempotentRequest('PATCH', undefined)).toBe(false);
  });

  it('lets the caller vouch for a POST, or opt a GET out', () => {
    expect(isIdempotentRequest('POST', true)).toBe(true);
    expect(isIdempotentRequest('GET', false)).toBe(false);
  });
});

describe('parseRetryAfterMs', () => {
  it('reads delay-seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfterMs('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs('-1', now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });
});

describe('fullJitterDelayMs', () => {
  it('draws below an exponentially growing ceiling, capped at the maximum delay', () => {
    const top = () => 0.999_999;
    expect(fullJitterDelayMs(1, options, top)).toBe(99);
    expect(fullJitterDelayMs(2, options, top)).toBe(199);
    expect(fullJitterDelayMs(3, options, top)).toBe(399);
    expect(fullJitterDelayMs(10, options, top)).toBe(999);
    expect(fullJitterDelayMs(3, options, () => 0)).toBe(0);
  });
});

describe('decideRetry', () => {
  it('retries transport failures and 502/503/504 but no other status', () => {
    const timeout = platformErrors.UPSTREAM_TIMEOUT();
    expect(decideRetry({ error: timeout }, 1, options).retry).toBe(true);
    expect(decideRetry({ error: platformErrors.UPSTREAM_UNAVAILABLE() }, 1, options).retry).toBe(true);
    expect(decideRetry({ error: new Error('bug') }, 1, options).retry).toBe(false);
    for (const status of [502, 503, 504])
      expect(decideRetry({ status, headers: {} }, 1, options).retry).toBe(true);
    for (const status of [200, 400, 404, 409, 500, 501]) {
      expect(decideRetry({ status, headers: {} }, 1, options).retry).toBe(false);
    }
  });

  it('waits what a 429 asks when that fits within the maximum delay, and gives up otherwise', () => {
    expect(decideRetry({ status: 429, headers: { 'retry-after': '1' } }, 1, options)).toEqual({
      retry: true,
      delayMs: 1000,
      reason: '429',
    });
    expect(decideRetry({ status: 429, headers: { 'retry-after': '2' } }, 1, options)).toEqual({
      retry: false,
    });
    expect(decideRetry({ status: 429, headers: {} }, 1, options).retry).toBe(true);
  });

  it('gives up on a 503 whose Retry-After asks for longer than the maximum delay, else backs off as usual', () => {
    expect(decideRetry({ status: 503, headers: { 'retry-after': '5' } }, 1, options)).toEqual({
      retry: false,
    });
    for (const headers of [{ 'retry-after': '1' }, {}]) {
      const decision = decideRetry({ status: 503, headers }, 1, options);
      expect(decision).toMatchObject({ retry: true, reason: '503' });
      // The jittered backoff of a first retry (at most baseDelayMs), not the second Retry-After names.
      expect(decision.retry && decision.delayMs).toBeLessThan(options.baseDelayMs);
    }
  });
});

describe('runWithRetries', () => {
  it('stops at the retry budget and returns what the last attempt produced', async () => {
    let calls = 0;
    const result = await runWithRetries(async () => ++calls, {
      retries: 2,
      settle: () => ({ status: 503, headers: {} }),
      decide: () => ({ retry: true, delayMs: 0, reason: '503' }),
      signal: new AbortController().signal,
    });
    expect(calls).toBe(3);
    expect(result).toBe(3);
  });

  it('throws the last error when the backoff is aborted', async () => {
    const controller = new AbortController();
    let calls = 0;
    const failure = new Error('attempt failed');
    const run = runWithRetries(
      async () => {
        calls++;
        throw failure;
      },
      {
        retries: 5,
        settle: () => ({ status: 200, headers: {} }),
        decide: () => ({ retry: true, delayMs: 10_000, reason: 'x' }),
        signal: controller.signal,
        onRetry: () => controller.abort(),
      },
    );
    await expect(run).rejects.toBe(failure);
    expect(calls).toBe(1);
  });
});
