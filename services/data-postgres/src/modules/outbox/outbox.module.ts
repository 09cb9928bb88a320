import { CONSUMER_QUEUE_LIST, EVENT_SCHEMAS } from '@flotilla/contracts';
import { createMessaging, type Messaging, type ServiceRuntime } from '@flotilla/platform';
import type { DataPostgresConfig } from '../../config.js';
import type { Db } from '../../db/database.js';
import { createOutboxWriter, type OutboxWriter } from '../../db/outbox-writer.js';
import { listenForOutbox, type OutboxListener } from './outbox.listener.js';
import { createOutboxRelay, type OutboxRelay } from './outbox.relay.js';
import { OutboxRepository } from './outbox.repository.js';

/** The outbox wired: the writer the routes use, and (with `RABBITMQ_URL`) the relay. */
export interface OutboxModule {
  repository: OutboxRepository;
  writer: OutboxWriter;
  /** Connects to RabbitMQ (in the background: a broker that is down delays events, not the service) and starts the relay. */
  start(): void;
  /** Stops the relay, the LISTEN connection and the broker connection, in that order. */
  close(): Promise<void>;
}

/**
 * Wires the outbox. The relay's broker connection never gives up (data-postgres must not exit because
 * RabbitMQ is away; writes go on and events wait) and is not part of readiness. It declares the
 * system's consumer queues like every publisher, so events wait in them before a consumer first runs.
 */
export function createOutboxModule(
  config: DataPostgresConfig,
  runtime: ServiceRuntime,
  db: Db,
): OutboxModule {
  const { logger } = runtime;
  const repository = new OutboxRepository(db);
  const writer = createOutboxWriter(db, repository);
  const rabbitmqUrl = config.outbox.rabbitmqUrl;
  if (rabbitmqUrl === undefined) {
    return {
      repository,
      writer,
      start: () =>
        logger.warn('RABBITMQ_URL is not set: the outbox relay is off and stored events are not published'),
      close: async () => undefined,
    };
  }
  const messaging: Messaging = createMessaging({
    url: rabbitmqUrl,
    service: 'data-postgres',
    events: EVENT_SCHEMAS,
    queues: CONSUMER_QUEUE_LIST,
    logger,
    registry: runtime.metrics.registry,
    publishTimeoutMs: 5000,
    reconnect: { initialDelayMs: 100, maxDelayMs: 2000, maxAttempts: Number.MAX_SAFE_INTEGER },
    onFatal: (error) => logger.error({ err: error }, 'outbox relay stopped reconnecting to RabbitMQ'),
  });
  const relay: OutboxRelay = createOutboxRelay({
    repository,
    messaging,
    logger,
    registry: runtime.metrics.registry,
    batchSize: config.outbox.batchSize,
    pollMs: config.outbox.pollMs,
    retentionSeconds: config.outbox.retentionSeconds,
  });
  let listener: OutboxListener | undefined;
  return {
    repository,
    writer,
    start() {
      listener = listenForOutbox({
        connectionString: config.postgres.url,
        logger,
        onNotify: () => relay.wake(),
      });
      messaging
        .start()
        .catch((error: unknown) => logger.error({ err: error }, 'outbox relay: RabbitMQ not reached'));
      relay.start();
    },
    async close() {
      await relay.stop();
      await listener?.close();
      await messaging.close();
    },
  };
}
