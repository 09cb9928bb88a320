import { Counter, Histogram, type Registry } from 'prom-client';

/** The bot's metrics (no user or chat ids as labels). */
export interface BotMetrics {
  /** Updates received, by type (`message`, `callback_query`, ...) and whether they were duplicates. */
  updates: Counter<'type' | 'duplicate'>;
  /** Time spent handling an update, by handler (`start`, `files`, `photo`, ...). */
  handlerDuration: Histogram<'handler'>;
  /** Handler errors answered with the friendly reply, by handler. */
  errors: Counter<'handler'>;
  /** Notifications by event type and result (`sent`, `blocked`, `unlinked`, `undeliverable`, `skipped`, `error`). */
  notifications: Counter<'event' | 'result'>;
}

/** Registers the bot's metrics on the service's registry. */
export function createBotMetrics(registry: Registry): BotMetrics {
  return {
    updates: new Counter({
      name: 'bot_updates_total',
      help: 'Telegram updates received, by type; duplicate="true" for a redelivered update_id (not handled).',
      labelNames: ['type', 'duplicate'],
      registers: [registry],
    }),
    handlerDuration: new Histogram({
      name: 'bot_handler_duration_seconds',
      help: 'Time to handle one update, by handler.',
      labelNames: ['handler'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'bot_handler_errors_total',
      help: 'Errors while handling an update (the user got the friendly reply), by handler.',
      labelNames: ['handler'],
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'bot_notifications_total',
      help: 'Job notifications by event type and result.',
      labelNames: ['event', 'result'],
      registers: [registry],
    }),
  };
}
