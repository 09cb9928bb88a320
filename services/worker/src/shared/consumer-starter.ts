/** A consumer of the worker, started by `deps.start()` once messaging is connected. */
export interface ConsumerStarter {
  /** Short name for logs, e.g. `media`. */
  name: string;
  /** Declares the consumer's queue and starts consuming. */
  start(): Promise<unknown>;
}
