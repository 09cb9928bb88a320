/**
 * A counting semaphore: at most `permits` holders at a time; the others wait in arrival order, at most
 * `maxWaiting` of them (unbounded by default), and past that a caller is refused at once.
 */
export interface Semaphore {
  /** Runs `work` once a permit is free and releases it when `work` settles; rejects with `onFull()` when the wait queue is full. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Holders right now. */
  readonly active: number;
  /** Callers waiting for a permit right now. */
  readonly waiting: number;
}

/** Options of {@link createSemaphore}. */
export interface SemaphoreOptions {
  /** Callers allowed to wait; `Infinity` by default, 0 = refuse at once when every permit is held. */
  maxWaiting?: number;
  /** The error a refused caller gets. */
  onFull?: () => Error;
}

/** Creates a {@link Semaphore} with `permits` permits (at least 1). */
export function createSemaphore(permits: number, options: SemaphoreOptions = {}): Semaphore {
  if (!Number.isInteger(permits) || permits < 1) throw new Error(`invalid permit count ${permits}`);
  const maxWaiting = options.maxWaiting ?? Number.POSITIVE_INFINITY;
  const onFull = options.onFull ?? (() => new Error('semaphore wait queue is full'));
  let active = 0;
  const queue: Array<() => void> = [];

  function release(): void {
    const next = queue.shift();
    // The permit is handed to the next waiter as is: `active` stays the same.
    if (next) next();
    else active -= 1;
  }

  return {
    async run(work) {
      if (active >= permits) {
        if (queue.length >= maxWaiting) throw onFull();
        await new Promise<void>((resolve) => queue.push(resolve));
      } else {
        active += 1;
      }
      try {
        return await work();
      } finally {
        release();
      }
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}
