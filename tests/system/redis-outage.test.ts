import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadUser, type MediaSystem, startMediaSystem } from '../support/media-system.js';
import { type RedisInstance, startRedisInstance } from '../support/redis-instance.js';
import { answersWithin, runRequestLoops, slowest, tally } from '../support/request-load.js';

/**
 * Redis stopped for 20 s under read and login load, with the api, the worker and both data services as
 * separate processes on a Redis server of the test's own. Cached reads bypass the cache (fail open),
 * logins are refused with 503 problem+json (the limiter fails closed), no request gets a 500 or a
 * reset, and both work again once Redis is back, without restarting anything.
 */

const OUTAGE_MS = 20_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let redis: RedisInstance;
let system: MediaSystem;

beforeAll(async () => {
  redis = await startRedisInstance();
  system = await startMediaSystem({ label: 'redis-outage', redisUrl: redis.url });
}, 180_000);

afterAll(async () => {
  await system?.stop();
  await redis?.close();
}, 120_000);

async function waitForApiReady(timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${system.apiUrl}/health/ready`).catch(() => undefined);
    await response?.arrayBuffer();
    if (response?.status === 200 || Date.now() > deadline) return performance.now();
    await sleep(200);
  }
}

function loopsFor(users: readonly LoadUser[]) {
  return users.flatMap((user) => [
    {
      kind: 'read',
      request: (signal: AbortSignal) =>
        fetch(`${system.apiUrl}/api/v1/users/me`, {
          headers: { authorization: `Bearer ${user.token}` },
          signal,
        }),
    },
    {
      kind: 'login',
      request: (signal: AbortSignal) =>
        fetch(`${system.apiUrl}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: user.email, password: user.password }),
          signal,
        }),
    },
  ]);
}

describe('Redis stopped for 20 s under read and login load', () => {
  it('reads keep answering from the data service, logins answer 503 problem+json, and both recover without a restart', async () => {
    const users = await Promise.all([1, 2, 3].map(() => system.registerUser()));
    const apiPid = system.api.child.pid;
    const marks = { down: 0, restarting: 0, ready: 0, end: 0 };
    const outage = (async () => {
      await sleep(5000);
      await redis.stop();
      marks.down = performance.now();
      await sleep(OUTAGE_MS);
      marks.restarting = performance.now();
      await redis.start();
      marks.ready = await waitForApiReady(30_000);
    })();
    const answers = await runRequestLoops({ loops: loopsFor(users), durationMs: 5000 + OUTAGE_MS + 15_000 });
    await outage;
    marks.end = performance.now();

    const before = answersWithin(answers, 0, marks.down);
    const during = answersWithin(answers, marks.down, marks.restarting);
    const after = answersWithin(answers, marks.ready, marks.end);
    console.log(
      'redis outage:',
      JSON.stringify({
        before: tally(before),
        during: tally(during),
        after: tally(after),
        slowestMs: slowest(answers),
        recoveryMs: Math.round(marks.ready - marks.restarting),
      }),
    );

    // Every request got an answer, and none was a 500 (or any 5xx but the limiter's 503).
    const resets = answers.filter((answer) => answer.status === 'connection-error');
    expect(resets, `requests without an answer: ${JSON.stringify(resets.slice(0, 3))}`).toEqual([]);
    const unexpected = answers.filter(
      (answer) => answer.status !== 200 && !(answer.kind === 'login' && answer.status === 503),
    );
    expect(unexpected.map((a) => `${a.kind} ${a.status} ${a.code ?? ''}`)).toEqual([]);

    // Before: everything works.
    expect(before.filter((a) => a.kind === 'login' && a.status === 200).length).toBeGreaterThan(0);
    // During: reads bypass the cache and keep answering; logins are refused, clearly.
    const readsDuring = during.filter((a) => a.kind === 'read');
    const loginsDuring = during.filter((a) => a.kind === 'login');
    expect(readsDuring.length).toBeGreaterThan(0);
    expect(readsDuring.every((a) => a.status === 200)).toBe(true);
    expect(loginsDuring.length).toBeGreaterThan(0);
    for (const login of loginsDuring) {
      expect(login.status).toBe(503);
      expect(login.contentType).toMatch(/^application\/problem\+json/);
      expect(login.code).toBeTruthy();
    }
    // After: the api became ready again by itself, and reads and logins work, from the same process.
    expect(after.filter((a) => a.kind === 'login').length).toBeGreaterThan(0);
    expect(after.filter((a) => a.status !== 200)).toEqual([]);
    expect(system.api.child.pid).toBe(apiPid);
    expect(system.api.child.exitCode).toBeNull();
    expect(system.worker.child.exitCode).toBeNull();
  });
});
