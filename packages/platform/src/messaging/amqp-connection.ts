import { setTimeout as sleep } from 'node:timers/promises';
import { type ChannelModel, connect } from 'amqplib';
import type { Logger } from '../logging/logger.js';
import { messagingErrors } from './messaging-errors.js';

/** Backoff of reconnects: exponential from `initialDelayMs` to `maxDelayMs`, with full jitter. */
export interface ReconnectOptions {
  /** First pause; 250 ms by default. */
  initialDelayMs?: number;
  /**
   * Longest pause; 2 s by default, so a broker that comes back is found within about 2 s (jobs accepted
   * during an outage wait for the consumers' reconnect).
   */
  maxDelayMs?: number;
  /**
   * Consecutive failed attempts before giving up (`onFatal`); 90 by default: about two minutes of
   * outage at the longest pause, which a broker restart stays well within.
   */
  maxAttempts?: number;
}

/** Options of {@link createAmqpConnection}. */
export interface AmqpConnectionOptions {
  /** `amqp://user:password@host:5672/vhost`. */
  url: string;
  /** Shown as the connection name in the management UI (the service name). */
  name: string;
  logger: Logger;
  reconnect?: ReconnectOptions;
  /** AMQP heartbeat in seconds; 15 by default. */
  heartbeatSeconds?: number;
  /** Called once when reconnecting gave up after `maxAttempts`: the process should exit non-zero. */
  onFatal: (error: Error) => void;
}

/** Runs on every (re)connect, in registration order; a failure closes the connection and retries. */
export type ConnectionSetup = (connection: ChannelModel) => Promise<void>;

/** One AMQP connection per process that heals itself. */
export interface AmqpConnection {
  /** Connects (retrying like a reconnect) and runs the setups; rejects when every attempt failed. */
  start(): Promise<void>;
  /** Adds a setup; when connected already, it runs at once (and its failure is returned). */
  addSetup(setup: ConnectionSetup): Promise<void>;
  /** Removes a setup added earlier. */
  removeSetup(setup: ConnectionSetup): void;
  /** The live connection, once every setup ran on it. */
  current(): ChannelModel | undefined;
  /** Waits (bounded) for a live connection; rejects with `MESSAGING.NOT_CONNECTED` or `MESSAGING.CLOSED`. */
  waitForConnection(timeoutMs: number): Promise<ChannelModel>;
  /** Reports that a channel of `connection` closed unexpectedly: the connection is rebuilt. */
  channelLost(connection: ChannelModel, error: unknown): void;
  /** True while connected. */
  isConnected(): boolean;
  /** Stops reconnecting and closes the connection. */
  close(): Promise<void>;
}

type State = 'idle' | 'connecting' | 'connected' | 'closed' | 'failed';

/**
 * Creates the process's robust AMQP connection. Any loss of the connection, or of a channel
 * reported through {@link AmqpConnection.channelLost}, closes what is left and reconnects with
 * exponential backoff and jitter; every setup (topology, publisher channel, consumers) runs again on
 * the new connection. After `maxAttempts` consecutive failures, `onFatal` is called so the process
 * exits and its supervisor restarts it.
 */
export function createAmqpConnection(options: AmqpConnectionOptions): AmqpConnection {
  const { logger } = options;
  const initialDelay = options.reconnect?.initialDelayMs ?? 250;
  const maxDelay = options.reconnect?.maxDelayMs ?? 2000;
  const maxAttempts = options.reconnect?.maxAttempts ?? 90;
  const setups: ConnectionSetup[] = [];
  // The connection each setup last ran on, so a setup added during a reconnect is not skipped.
  const ranOn = new Map<ConnectionSetup, ChannelModel>();
  let state: State = 'idle';
  // Read through a function: TypeScript would otherwise keep a narrowing across awaits.
  const isClosed = () => state === 'closed';
  let live: ChannelModel | undefined;
  let loop: Promise<void> | undefined;
  let lastError: Error | undefined;
  const waiters = new Set<{ resolve: (c: ChannelModel) => void; reject: (e: Error) => void }>();
  const abort = new AbortController();

  function settleWaiters(connection: ChannelModel | undefined, error?: Error): void {
    for (const waiter of waiters) {
      if (connection) waiter.resolve(connection);
      else waiter.reject(error ?? messagingErrors.NOT_CONNECTED());
    }
    waiters.clear();
  }

  async function connectOnce(): Promise<ChannelModel> {
    const connection = await connect(options.url, {
      heartbeat: options.heartbeatSeconds ?? 15,
      clientProperties: { connection_name: options.name },
    });
    connection.on('error', (error: Error) => {
      logger.warn({ err: error }, 'amqp connection error');
    });
    connection.on('close', (error?: Error) => onLost(connection, error));
    connection.on('blocked', (reason: string) =>
      logger.warn({ reason }, 'amqp connection blocked by the broker'),
    );
    connection.on('unblocked', () => logger.info('amqp connection unblocked'));
    try {
      await runSetups(connection);
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
    return connection;
  }

  async function runSetups(connection: ChannelModel): Promise<void> {
    for (let pending = nextSetup(connection); pending; pending = nextSetup(connection)) {
      ranOn.set(pending, connection);
      await pending(connection);
    }
  }

  function nextSetup(connection: ChannelModel): ConnectionSetup | undefined {
    return setups.find((setup) => ranOn.get(setup) !== connection);
  }

  function channelLost(connection: ChannelModel, error: unknown): void {
    if (connection !== live || state === 'closed') return;
    logger.warn({ err: error }, 'amqp channel lost; rebuilding the connection');
    // Closing emits `close`, which reconnects; if the socket is already gone, do it directly.
    connection.close().catch(() => onLost(connection, error));
  }

  function onLost(connection: ChannelModel, error: unknown): void {
    if (connection !== live) return; // a connection that failed its setup, or an old one
    live = undefined;
    if (state === 'closed') return;
    logger.warn({ err: error }, 'amqp connection lost; reconnecting');
    state = 'connecting';
    // A failed reconnect ends in onFatal; the loop's own rejection is only for start().
    loop = runLoop('reconnect').catch(() => undefined);
  }

  function backoff(attempt: number): number {
    const ceiling = Math.min(maxDelay, initialDelay * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  async function runLoop(kind: 'start' | 'reconnect'): Promise<void> {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (kind === 'reconnect' || attempt > 1) {
        try {
          await sleep(backoff(attempt), undefined, { signal: abort.signal });
        } catch {
          return; // closed while waiting
        }
      }
      if (isClosed()) return;
      try {
        const connection = await connectOnce();
        if (isClosed()) {
          await connection.close().catch(() => undefined);
          return;
        }
        live = connection;
        state = 'connected';
        lastError = undefined;
        logger.info({ attempt, kind }, 'amqp connected');
        settleWaiters(connection);
        // A setup added while this connection was being set up runs now; its failure rebuilds it.
        runSetups(connection).catch((error: unknown) => channelLost(connection, error));
        return;
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
        logger.warn({ err: lastError, attempt, max_attempts: maxAttempts }, 'amqp connect attempt failed');
      }
    }
    state = 'failed';
    const fatal = messagingErrors.NOT_CONNECTED({
      detail: `could not connect to the broker after ${maxAttempts} attempts: ${lastError?.message ?? 'unknown'}`,
      cause: lastError,
    });
    settleWaiters(undefined, fatal);
    if (kind === 'reconnect') {
      logger.fatal({ err: lastError }, 'amqp reconnect gave up');
      options.onFatal(fatal);
    }
    throw fatal;
  }

  return {
    async start() {
      if (state !== 'idle') throw new Error('amqp connection already started');
      state = 'connecting';
      loop = runLoop('start');
      await loop;
    },
    async addSetup(setup) {
      setups.push(setup);
      if (live) await runSetups(live);
    },
    removeSetup(setup) {
      const index = setups.indexOf(setup);
      if (index >= 0) setups.splice(index, 1);
      ranOn.delete(setup);
    },
    current: () => live,
    waitForConnection(timeoutMs) {
      if (live) return Promise.resolve(live);
      if (state === 'closed') return Promise.reject(messagingErrors.CLOSED());
      if (state === 'failed' || state === 'idle') {
        return Promise.reject(messagingErrors.NOT_CONNECTED({ detail: `connection state: ${state}` }));
      }
      return new Promise<ChannelModel>((resolve, reject) => {
        const waiter = {
          resolve: (connection: ChannelModel) => {
            clearTimeout(timer);
            resolve(connection);
          },
          reject: (error: Error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(messagingErrors.NOT_CONNECTED({ detail: `no broker connection within ${timeoutMs} ms` }));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    channelLost,
    isConnected: () => live !== undefined,
    async close() {
      if (state === 'closed') return;
      state = 'closed';
      abort.abort();
      settleWaiters(undefined, messagingErrors.CLOSED());
      const connection = live;
      live = undefined;
      if (connection) await connection.close().catch(() => undefined);
      await loop?.catch(() => undefined);
    },
  };
}
