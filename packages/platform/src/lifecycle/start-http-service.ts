import type { Health } from '../health/health.js';
import type { HttpApp } from '../http/create-http-app.js';
import type { Logger } from '../logging/logger.js';
import { flushTraces } from '../tracing/trace-context.js';
import { drainConnections } from './connection-drain.js';
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
  /**
   * Once the listener is closed, how long kept-alive connections get to close by themselves (each
   * answer then carries `Connection: close`) before the idle ones are closed: `SHUTDOWN_DRAIN_MS`.
   * Default 1000 ms; at most half of `shutdownTimeoutMs`.
   */
  connectionDrainMs?: number;
  /** Steps to run after the HTTP server has drained: close consumers, clients, pools (in this order). */
  closers?: Array<{ name: string; close: () => Promise<void> | void }>;
  /** Process exit function (tests pass their own). */
  exit?: (code: number) => void;
}

/**
 * Listens, then on SIGTERM/SIGINT: readiness answers 503 at once, the listener stops accepting,
 * kept-alive connections are drained without a reset ({@link drainConnections}: requests that still
 * arrive on them are served and answered with `Connection: close`), in-flight requests finish,
 * `closers` run, buffered spans are exported, and the process exits 0 (1 if a step failed or the
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
  const drainMs = Math.min(options.connectionDrainMs ?? 1000, Math.floor(options.shutdownTimeoutMs / 2));
  shutdown.add('http', async () => {
    await drainConnections(app.server, { drainMs });
    // Connections idle for the whole drain, and those that turn idle once an answer begun before the
    // signal ends (an event stream the app's close ends), would hold close() until keep-alive expires.
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
