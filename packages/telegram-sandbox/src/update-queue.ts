import { type BotState, waitForChange, wake } from './bot-state.js';

/** An update as Telegram sends it: an id and one kind of content. */
export type Update = { update_id: number } & Record<string, unknown>;

/** Longest wait of one `getUpdates` call (Telegram caps `timeout` at 50 s). */
const MAX_POLL_SECONDS = 50;

/**
 * Queues an update for the bot: getUpdates returns it, or, while a webhook is set, it is POSTed there.
 * Returns the update with its id.
 */
export function enqueueUpdate(
  state: BotState,
  content: Record<string, unknown>,
  delivery: WebhookDelivery,
): Update {
  const update: Update = { update_id: state.nextUpdateId, ...content };
  state.nextUpdateId += 1;
  state.pending.push(update);
  wake(state);
  if (state.webhook) delivery.kick(state);
  return update;
}

/**
 * `getUpdates` with Telegram's semantics: an `offset` confirms (drops) every update with a smaller id;
 * the call returns the unconfirmed updates from `offset` on, up to `limit`, waiting up to `timeout`
 * seconds for one to arrive when there is none.
 */
export async function pollUpdates(
  state: BotState,
  params: { offset?: number; limit?: number; timeout?: number },
  signal: AbortSignal,
): Promise<Update[]> {
  const limit = Math.min(Math.max(params.limit ?? 100, 1), 100);
  const deadline = Date.now() + Math.min(Math.max(params.timeout ?? 0, 0), MAX_POLL_SECONDS) * 1000;
  if (params.offset !== undefined) {
    const offset = params.offset;
    state.pending = state.pending.filter((update) => update.update_id >= offset);
  }
  for (;;) {
    const from = params.offset ?? 0;
    const ready = state.pending.filter((update) => update.update_id >= from).slice(0, limit);
    const remaining = deadline - Date.now();
    if (ready.length > 0 || remaining <= 0 || signal.aborted || state.webhook) return ready;
    await waitForChange(state, remaining, signal);
  }
}

/** Posts queued updates to the bot's webhook, in order, retrying until the bot answers 2xx. */
export interface WebhookDelivery {
  kick(state: BotState): void;
  stop(): void;
}

/** Creates the webhook deliverer (one loop per bot at a time). */
export function createWebhookDelivery(): WebhookDelivery {
  const running = new Set<BotState>();
  let stopped = false;

  async function deliver(state: BotState): Promise<void> {
    let failures = 0;
    while (!stopped && state.webhook && state.pending.length > 0) {
      const { url, secretToken } = state.webhook;
      const update = state.pending[0] as Update;
      let delivered = false;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(secretToken ? { 'x-telegram-bot-api-secret-token': secretToken } : {}),
          },
          body: JSON.stringify(update),
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer().catch(() => undefined);
        delivered = response.ok;
      } catch {
        delivered = false;
      }
      if (delivered) {
        failures = 0;
        if (state.pending[0] === update) state.pending.shift();
      } else {
        // Telegram retries a failed delivery after a while; the sandbox backs off up to 2 s.
        failures += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 2000)));
      }
    }
  }

  return {
    kick(state) {
      if (running.has(state) || stopped) return;
      running.add(state);
      void deliver(state).finally(() => {
        running.delete(state);
        if (!stopped && state.webhook && state.pending.length > 0) this.kick(state);
      });
    },
    stop() {
      stopped = true;
    },
  };
}
