import type { Health } from '../health/health.js';
import type { HttpApp } from '../http/create-http-app.js';
import type { Logger } from '../logging/logger.js';
import { flushTraces } from '../tracing/trace-context.js';
import { createShutdown, handleProcessSignals, type Shutdown } from './shutdown.js';

/** Options of {@link startHttpService}. */
export interface StartHttpServiceOptions {
  app: HttpApp;
  logger: Logger;
  health: Health;
  host: string;
  port: number;
  shutdownTimeoutMs: number;
  /** Wait this long after readiness flips before closing the listener (lets load balancers notice). */
  drainDelayMs?: number;
  /** Steps to run after the HTTP server has drained: close consumers, clients, pools (in this order). */
  closers?: Array<{ name: string; close: () => Promise<void> | void }>;
  /** Process exit function (tests pass their own). */
  exit?: (code: number) => void;
}

/**
 * Listens, then on SIGTERM/SIGINT: readiness answers 503 at once, the listener stops accepting,
 * in-flight requests finish, `closers` run, buffered spans are exported, and the process exits 0 (1 if a step failed or the
 * deadline passed). Returns the shutdown sequence and the bound address.
 */
export async function startHttpService(
  options: StartHttpServiceOptions,
): Promise<{ shutdown: Shutdown; address: string }> {
  const { app, logger, health } = options;
  const shutdown = createShutdown({ logger, timeoutMs: options.shutdownTimeoutMs });
  shutdown.add('readiness', () => health.markShuttingDown());
  if (options.drainDelayMs) {
    const delay = options.drainDelayMs;
    shutdown.add('drain-delay', () => new Promise((resolve) => setTimeout(resolve, delay)));
  }
  shutdown.add('http', async () => {
    // Connections that turn idle after their last response would hold close() until keep-alive expires.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
    try {
      await app.close();
    } finally {
      clearInterval(sweep);
    }
  });
  for (const closer of options.closers ?? []) shutdown.add(closer.name, closer.close);
  // Last: the spans of the shutdown itself are exported too.
  shutdown.add('telemetry', flushTraces);
  handleProcessSignals(shutdown, logger, options.exit ?? ((code) => process.exit(code)));

  const address = await app.listen({ host: options.host, port: options.port });
  return { shutdown, address };
}
