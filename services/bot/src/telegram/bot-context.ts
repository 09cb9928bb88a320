import type { Context, SessionFlavor } from 'grammy';

/** What the bot keeps per chat in Redis (`session:bot:<chat id>`). */
export interface ChatSession {
  /** The next plain text answers this question (set by `/ask` or `/link` without an argument). */
  awaiting?: 'question' | 'link-code';
  /** Cursors of the `/files` pages shown so far (the first page has none). */
  filesCursors?: string[];
}

/** grammY's context with the session and the handler name used for metrics and logs. */
export type BotContext = Context &
  SessionFlavor<ChatSession> & {
    /** Request id of this update (logged, sent to the data services). */
    requestId: string;
    /** Name of the handler that took the update, for metrics. */
    handlerName: string;
  };
