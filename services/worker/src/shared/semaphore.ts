/** A counting semaphore: at most `permits` holders at a time, the others wait in arrival order. */
export interface Semaphore {
  /** Runs `work` once a permit is free and releases the permit when it settles. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Holders right now. */
  active(): number;
  /** Callers waiting for a permit. */
  waiting(): number;
}

/** Creates a {@link Semaphore} with `permits` permits (at least 1). */
export function createSemaphore(permits: number): Semaphore {
  if (!Number.isInteger(permits) || permits < 1) throw new Error(`invalid permit count ${permits}`);
  let holders = 0;
  const queue: Array<() => void> = [];

  const acquire = (): Promise<void> => {
    if (holders < permits) {
      holders += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => queue.push(resolve));
  };
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else holders -= 1;
  };

  return {
    async run(work) {
      await acquire();
      try {
        return await work();
      } finally {
        release();
      }
    },
    active: () => holders,
    waiting: () => queue.length,
  };
}
