import type { Logger } from '../logging/logger.js';

/** A step of the shutdown sequence. */
export type ShutdownHook = () => Promise<void> | void;

/** Runs registered hooks once, in registration order, bounded by a deadline. */
export interface Shutdown {
  /** Adds a step; steps run in the order they were added (add intake-stopping steps first). */
  add(name: string, hook: ShutdownHook): void;
  /** Runs every step once; later calls return the same promise. Resolves with the exit code. */
  run(reason: string): Promise<number>;
  /** True once `run` was called. */
  readonly started: boolean;
}

/** Options of {@link createShutdown}. */
export interface CreateShutdownOptions {
  logger: Logger;
  /** Hard bound for the whole sequence; past it, the remaining steps are abandoned and the code is 1. */
  timeoutMs: number;
}

/**
 * Creates the ordered shutdown sequence. A failing step is logged and the next one still runs
 * (so connections are closed even when draining failed); the exit code is then 1.
 */
export function createShutdown(options: CreateShutdownOptions): Shutdown {
  const hooks: Array<{ name: string; hook: ShutdownHook }> = [];
  let running: Promise<number> | undefined;

  async function runAll(reason: string): Promise<number> {
    const { logger } = options;
    logger.info({ reason, timeout_ms: options.timeoutMs }, 'shutdown started');
    let exitCode = 0;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
      timer.unref();
    });
    const steps = (async () => {
      for (const { name, hook } of hooks) {
        const started = performance.now();
        try {
          await hook();
          logger.debug({ step: name, ms: Math.round(performance.now() - started) }, 'shutdown step done');
        } catch (error) {
          exitCode = 1;
          logger.error({ err: error, step: name }, 'shutdown step failed');
        }
      }
      return 'done' as const;
    })();
    const outcome = await Promise.race([steps, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      logger.error({ timeout_ms: options.timeoutMs }, 'shutdown deadline passed; abandoning remaining steps');
      return 1;
    }
    logger.info({ exit_code: exitCode }, 'shutdown complete');
    return exitCode;
  }

  return {
    add(name, hook) {
      hooks.push({ name, hook });
    },
    run(reason) {
      running ??= runAll(reason);
      return running;
    },
    get started() {
      return running !== undefined;
    },
  };
}

/**
 * Wires process signals and fatal errors to the shutdown sequence, then exits with its code.
 * SIGTERM and SIGINT shut down gracefully (a second signal exits at once with 130); an uncaught
 * exception or unhandled rejection is logged as fatal and shuts down with exit code 1, so the
 * supervisor restarts a process whose state is uncertain.
 */
export function handleProcessSignals(
  shutdown: Shutdown,
  logger: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown.started) {
      logger.warn({ signal }, 'second signal during shutdown; exiting now');
      exit(130);
      return;
    }
    void shutdown.run(signal).then((code) => exit(code));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const onFatal = (kind: string) => (error: unknown) => {
    logger.fatal({ err: error, kind }, 'fatal error; shutting down');
    void shutdown.run(kind).then(() => exit(1));
  };
  process.on('uncaughtException', onFatal('uncaughtException'));
  process.on('unhandledRejection', onFatal('unhandledRejection'));
}
