import { randomBytes } from 'node:crypto';

/** A Telegram user as the sandbox plays one. */
export interface SandboxUser {
  id: number;
  first_name: string;
  username?: string;
}

/** A file the sandbox holds (sent by a simulated user or uploaded by the bot). */
export interface StoredFile {
  fileId: string;
  fileUniqueId: string;
  filePath: string;
  /** Size Telegram reports; may exceed `bytes.length` when a test declares a large file without sending it. */
  size: number;
  bytes: Buffer;
  mimeType: string;
  fileName?: string;
  width?: number;
  height?: number;
}

/** One message of a chat, as the chat page and the tests see it. */
export interface TranscriptEntry {
  message_id: number;
  chat_id: number;
  from: 'user' | 'bot';
  date: number;
  text?: string;
  caption?: string;
  /** File id of a photo (the largest size). */
  photo?: { file_id: string; width: number; height: number; file_size: number };
  document?: { file_id: string; file_name?: string; mime_type: string; file_size: number };
  callback_data?: string;
  reply_markup?: unknown;
  /** How many times the bot edited this message. */
  edits: number;
}

/** A Bot API call the sandbox answered, for tests (`GET /control/:token/calls`). */
export interface CallRecord {
  method: string;
  chat_id?: number;
  ok: boolean;
  error_code?: number;
  at: number;
}

/** An error the next calls of a method answer with (429 with `retry_after`, 403, ...). */
export interface Fault {
  method: string;
  errorCode: number;
  description: string;
  retryAfter?: number;
  remaining: number;
}

/** Everything the sandbox keeps for one bot token. */
export interface BotState {
  token: string;
  me: { id: number; is_bot: true; first_name: string; username: string };
  nextUpdateId: number;
  nextMessageId: number;
  pending: Array<{ update_id: number } & Record<string, unknown>>;
  webhook: { url: string; secretToken?: string } | undefined;
  transcript: TranscriptEntry[];
  /** Bumped on every transcript change; the chat page long-polls on it. */
  version: number;
  files: Map<string, StoredFile>;
  faults: Fault[];
  blocked: Set<number>;
  knownChats: Set<number>;
  callbackQueries: Map<string, { answered: boolean; text?: string }>;
  calls: CallRecord[];
  /** Woken when an update arrives (getUpdates long polls) or the transcript changes (page polls). */
  waiters: Set<() => void>;
}

/** Shape of a well-formed bot token: `<bot id>:<secret>`. */
export const TOKEN_PATTERN = /^(\d{1,15}):[A-Za-z0-9_-]{10,100}$/;

/** A fresh, well-formed bot token for the sandbox (random secret). */
export function generateBotToken(botId = 1_000_000 + Math.floor(Math.random() * 1_000_000)): string {
  return `${botId}:${randomBytes(24).toString('base64url')}`;
}

/** Creates the state of one bot, keyed by its token. */
export function createBotState(token: string, botId: number): BotState {
  return {
    token,
    me: { id: botId, is_bot: true, first_name: 'Flotilla', username: `flotilla_${botId}_bot` },
    nextUpdateId: 1,
    nextMessageId: 1,
    pending: [],
    webhook: undefined,
    transcript: [],
    version: 0,
    files: new Map(),
    faults: [],
    blocked: new Set(),
    knownChats: new Set(),
    callbackQueries: new Map(),
    calls: [],
    waiters: new Set(),
  };
}

/** Wakes every long poll of the bot. */
export function wake(state: BotState): void {
  const waiters = [...state.waiters];
  state.waiters.clear();
  for (const waiter of waiters) waiter();
}

/** Waits until woken or `ms` passed; resolves either way. */
export function waitForChange(state: BotState, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      state.waiters.delete(done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    state.waiters.add(done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Adds a transcript entry and wakes the page. */
export function record(state: BotState, entry: TranscriptEntry): TranscriptEntry {
  state.transcript.push(entry);
  state.version += 1;
  wake(state);
  return entry;
}

/** Stores a file and gives it Telegram-like ids and path. */
export function storeFile(
  state: BotState,
  file: Omit<StoredFile, 'fileId' | 'fileUniqueId' | 'filePath'>,
  folder: 'photos' | 'documents',
): StoredFile {
  const fileId = `${folder === 'photos' ? 'AgAC' : 'BQAC'}${randomBytes(18).toString('base64url')}`;
  const extension =
    file.fileName?.match(/\.([A-Za-z0-9]{1,8})$/)?.[1] ?? (folder === 'photos' ? 'jpg' : 'bin');
  const stored: StoredFile = {
    ...file,
    fileId,
    fileUniqueId: randomBytes(8).toString('base64url'),
    filePath: `${folder}/file_${state.files.size}.${extension}`,
  };
  state.files.set(fileId, stored);
  return stored;
}

/** Takes the next injected fault of `method`, if any. */
export function takeFault(state: BotState, method: string): Fault | undefined {
  const fault = state.faults.find((entry) => entry.method === method && entry.remaining > 0);
  if (!fault) return undefined;
  fault.remaining -= 1;
  if (fault.remaining === 0) state.faults.splice(state.faults.indexOf(fault), 1);
  return fault;
}
