/** A counting semaphore with a bounded wait queue: at most `permits` holders, at most `maxWaiting` waiting. */
export interface Semaphore {
  /** Runs `work` holding a permit; rejects with `onFull()` at once when the wait queue is full. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Holders right now. */
  readonly active: number;
  /** Callers waiting right now. */
  readonly waiting: number;
}

/** Creates a {@link Semaphore}. */
export function createSemaphore(permits: number, maxWaiting: number, onFull: () => Error): Semaphore {
  let active = 0;
  const queue: Array<() => void> = [];

  function release(): void {
    const next = queue.shift();
    if (next) next();
    else active -= 1;
  }

  return {
    async run(work) {
      if (active >= permits) {
        if (queue.length >= maxWaiting) throw onFull();
        // The permit is handed over by release(): `active` stays the same.
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
