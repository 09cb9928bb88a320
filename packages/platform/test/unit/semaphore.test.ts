import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createSemaphore } from '../../src/concurrency/semaphore.js';

describe('the semaphore', () => {
  it('runs at most `permits` at once, the others in arrival order, and refuses beyond the wait queue', async () => {
    const gate = createSemaphore(2, { maxWaiting: 1, onFull: () => new Error('full') });
    const order: string[] = [];
    const releases: Array<() => void> = [];
    const job = (name: string) =>
      gate.run(
        () =>
          new Promise<void>((resolve) => {
            order.push(name);
            releases.push(resolve);
          }),
      );
    const a = job('a');
    const b = job('b');
    const c = job('c');
    await expect(job('d')).rejects.toThrow('full');
    await Promise.resolve();
    expect(order).toEqual(['a', 'b']);
    expect(gate.waiting).toBe(1);
    releases[0]?.();
    await a;
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['a', 'b', 'c']);
    expect(gate.active).toBe(2);
    releases[1]?.();
    releases[2]?.();
    await Promise.all([b, c]);
    expect(gate.active).toBe(0);
  });

  it('never lets more than its permits run at once, and runs every task', async () => {
    const semaphore = createSemaphore(2);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 7 }, (_, index) =>
        semaphore.run(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await sleep(5);
          running -= 1;
          return index;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(semaphore.active).toBe(0);
  });

  it('releases its permit when the task fails', async () => {
    const semaphore = createSemaphore(1);
    await expect(semaphore.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await semaphore.run(async () => 'next')).toBe('next');
  });

  it('refuses at once when no caller may wait', async () => {
    const semaphore = createSemaphore(1, { maxWaiting: 0 });
    let release: () => void = () => undefined;
    const holder = semaphore.run(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    await expect(semaphore.run(async () => 'second')).rejects.toThrow('wait queue is full');
    release();
    await holder;
  });
});
