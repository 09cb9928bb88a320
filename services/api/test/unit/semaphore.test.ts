import { describe, expect, it } from 'vitest';
import { createSemaphore } from '../../src/shared/semaphore.js';

describe('the hashing semaphore', () => {
  it('runs at most `permits` at once, the others in arrival order, and refuses beyond the wait queue', async () => {
    const gate = createSemaphore(2, 1, () => new Error('full'));
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
});
