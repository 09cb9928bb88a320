import { type BotState, record, type StoredFile, storeFile, type TranscriptEntry } from './bot-state.js';
import { BotApiError, badRequest, botMessage, imageDimensions, LIMITS } from './telegram-objects.js';
import { pollUpdates, type WebhookDelivery } from './update-queue.js';

/** A file part of a multipart call. */
export interface UploadedPart {
  filename: string;
  mimeType: string;
  bytes: Buffer;
}

/** The parameters of one call: JSON values, form strings or uploaded files. */
export type Params = Record<string, unknown>;

/** What a method needs besides its parameters. */
export interface MethodContext {
  state: BotState;
  params: Params;
  signal: AbortSignal;
  delivery: WebhookDelivery;
}

type Method = (context: MethodContext) => unknown | Promise<unknown>;

function integer(params: Params, name: string, required: true): number;
function integer(params: Params, name: string, required?: false): number | undefined;
function integer(params: Params, name: string, required = false): number | undefined {
  const value = params[name];
  if (value === undefined || value === '') {
    if (required) throw badRequest(`${name} is empty`);
    return undefined;
  }
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(number)) throw badRequest(`invalid ${name} specified`);
  return number;
}

function text(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : String(value);
}

function json(params: Params, name: string): unknown {
  const value = params[name];
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`can't parse ${name} JSON object`);
  }
}

/** The chat a message goes to: known (the user wrote first) and not blocking the bot. */
function targetChat(state: BotState, params: Params): number {
  const chatId = integer(params, 'chat_id', true);
  if (!state.knownChats.has(chatId)) throw badRequest('chat not found');
  if (state.blocked.has(chatId)) throw new BotApiError(403, 'Forbidden: bot was blocked by the user');
  return chatId;
}

function checkText(value: string | undefined, limit: number, what: string): void {
  if (value !== undefined && [...value].length > limit) throw badRequest(`${what} is too long`);
}

function newBotMessage(state: BotState, chatId: number, content: Partial<TranscriptEntry>) {
  const entry = record(state, {
    message_id: state.nextMessageId++,
    chat_id: chatId,
    from: 'bot',
    date: Math.floor(Date.now() / 1000),
    edits: 0,
    ...content,
  });
  return botMessage(state, entry);
}

/** A file given as an upload, or the id of a file the sandbox has. URLs are not fetched (offline). */
function inputFile(
  state: BotState,
  params: Params,
  name: string,
  folder: 'photos' | 'documents',
): StoredFile {
  const value = params[name];
  if (value && typeof value === 'object' && 'bytes' in value) {
    const part = value as UploadedPart;
    const dimensions = folder === 'photos' ? imageDimensions(part.bytes) : undefined;
    return storeFile(
      state,
      {
        bytes: part.bytes,
        size: part.bytes.length,
        mimeType: folder === 'photos' ? 'image/jpeg' : part.mimeType,
        fileName: part.filename,
        ...dimensions,
      },
      folder,
    );
  }
  if (typeof value === 'string' && value !== '') {
    const known = state.files.get(value);
    if (known) return known;
    if (/^https?:\/\//.test(value))
      throw badRequest('failed to get HTTP URL content (the sandbox is offline)');
    throw badRequest('wrong file identifier/HTTP URL specified');
  }
  throw badRequest(`there is no ${name} in the request`);
}

/** The Bot API methods the sandbox speaks, with Telegram's checks and error texts. */
export const METHODS: Record<string, Method> = {
  getMe: ({ state }) => ({ ...state.me, can_join_groups: false, supports_inline_queries: false }),

  async getUpdates({ state, params, signal }) {
    if (state.webhook) {
      throw new BotApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    const offset = integer(params, 'offset');
    const limit = integer(params, 'limit');
    const timeout = integer(params, 'timeout');
    return pollUpdates(
      state,
      {
        ...(offset !== undefined && { offset }),
        ...(limit !== undefined && { limit }),
        ...(timeout !== undefined && { timeout }),
      },
      signal,
    );
  },

  setWebhook({ state, params, delivery }) {
    const url = text(params, 'url') ?? '';
    const secretToken = text(params, 'secret_token');
    if (secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) {
      throw badRequest('secret token contains unallowed characters');
    }
    if (url !== '' && !/^https?:\/\//.test(url)) throw badRequest('bad webhook: invalid URL');
    if (String(params.drop_pending_updates) === 'true') state.pending = [];
    state.webhook = url === '' ? undefined : { url, ...(secretToken ? { secretToken } : {}) };
    if (state.webhook) delivery.kick(state);
    return true;
  },

  deleteWebhook({ state, params }) {
    if (String(params.drop_pending_updates) === 'true') state.pending = [];
    state.webhook = undefined;
    return true;
  },

  getWebhookInfo: ({ state }) => ({
    url: state.webhook?.url ?? '',
    has_custom_certificate: false,
    pending_update_count: state.pending.length,
  }),

  sendMessage({ state, params }) {
    const chatId = targetChat(state, params);
    const body = text(params, 'text');
    if (!body?.trim()) throw badRequest('message text is empty');
    checkText(body, LIMITS.messageText, 'message');
    const replyMarkup = json(params, 'reply_markup');
    return newBotMessage(state, chatId, {
      text: body,
      ...(replyMarkup ? { reply_markup: replyMarkup } : {}),
    });
  },

  editMessageText({ state, params }) {
    const chatId = targetChat(state, params);
    const messageId = integer(params, 'message_id', true);
    const body = text(params, 'text');
    if (!body?.trim()) throw badRequest('message text is empty');
    checkText(body, LIMITS.messageText, 'message');
    const entry = state.transcript.find(
      (item) => item.chat_id === chatId && item.message_id === messageId && item.from === 'bot',
    );
    if (!entry || entry.text === undefined) throw badRequest('message to edit not found');
    const replyMarkup = json(params, 'reply_markup');
    if (entry.text === body && JSON.stringify(entry.reply_markup) === JSON.stringify(replyMarkup)) {
      throw badRequest(
        'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    entry.text = body;
    if (replyMarkup) entry.reply_markup = replyMarkup;
    else delete entry.reply_markup;
    entry.edits += 1;
    state.version += 1;
    return botMessage(state, entry);
  },

  sendPhoto({ state, params }) {
    const chatId = targetChat(state, params);
    const file = inputFile(state, params, 'photo', 'photos');
    const caption = text(params, 'caption');
    checkText(caption, LIMITS.caption, 'message caption');
    return newBotMessage(state, chatId, {
      photo: { file_id: file.fileId, width: file.width ?? 0, height: file.height ?? 0, file_size: file.size },
      ...(caption ? { caption } : {}),
    });
  },

  sendDocument({ state, params }) {
    const chatId = targetChat(state, params);
    const file = inputFile(state, params, 'document', 'documents');
    const caption = text(params, 'caption');
    checkText(caption, LIMITS.caption, 'message caption');
    return newBotMessage(state, chatId, {
      document: {
        file_id: file.fileId,
        ...(file.fileName ? { file_name: file.fileName } : {}),
        mime_type: file.mimeType,
        file_size: file.size,
      },
      ...(caption ? { caption } : {}),
    });
  },

  sendChatAction({ state, params }) {
    targetChat(state, params);
    if (!text(params, 'action')) throw badRequest('wrong parameter action in request');
    return true;
  },

  answerCallbackQuery({ state, params }) {
    const id = text(params, 'callback_query_id') ?? '';
    const query = state.callbackQueries.get(id);
    if (!query) throw badRequest('query is too old and response timeout expired or query ID is invalid');
    query.answered = true;
    const answer = text(params, 'text');
    if (answer !== undefined) query.text = answer;
    return true;
  },

  getFile({ state, params }) {
    const file = state.files.get(text(params, 'file_id') ?? '');
    if (!file) throw badRequest('invalid file_id');
    if (file.size > LIMITS.getFileBytes) throw badRequest('file is too big');
    return {
      file_id: file.fileId,
      file_unique_id: file.fileUniqueId,
      file_size: file.size,
      file_path: file.filePath,
    };
  },

  setMyCommands: () => true,
  deleteMyCommands: () => true,
  close: () => true,
  logOut: () => true,
};
