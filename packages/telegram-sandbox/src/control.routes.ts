import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { type BotState, record, type SandboxUser, storeFile, waitForChange } from './bot-state.js';
import {
  BotApiError,
  botMessage,
  documentOf,
  imageDimensions,
  photoSizes,
  privateChat,
} from './telegram-objects.js';
import { enqueueUpdate, type WebhookDelivery } from './update-queue.js';

interface ControlDeps {
  bot(token: string): BotState;
  delivery: WebhookDelivery;
}

interface UserBody {
  user?: Partial<SandboxUser>;
}

function userOf(body: UserBody): SandboxUser {
  const id = Number(body.user?.id ?? 424242);
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new BotApiError(400, 'Bad Request: user.id must be a positive integer');
  return {
    id,
    first_name: body.user?.first_name ?? 'User',
    ...(body.user?.username ? { username: body.user.username } : {}),
  };
}

function bytesOf(data: unknown): Buffer {
  if (typeof data !== 'string') throw new BotApiError(400, 'Bad Request: data must be base64');
  return Buffer.from(data, 'base64');
}

/** Entities Telegram attaches to a text: a leading `/command` is a `bot_command`. */
function entitiesOf(text: string) {
  const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
  return command ? [{ type: 'bot_command', offset: 0, length: command[0].length }] : undefined;
}

/**
 * The control API: what a test (or the chat page) uses to play a Telegram user and to watch the bot.
 * - `POST /control/:token/messages|photos|documents|callbacks`: the user sends something (an update);
 * - `GET /control/:token/chats/:chat_id?after=<version>&wait=<s>`: the chat's transcript (long poll);
 * - `GET /control/:token/calls`: every Bot API call answered, with its outcome;
 * - `POST /control/:token/faults`: the next calls of a method fail (429 with `retry_after`, 403, ...);
 * - `PUT /control/:token/chats/:chat_id/blocked`: the user blocks (or unblocks) the bot;
 * - `GET /control/:token/files/:file_id`: a file's bytes (photos the bot sent).
 */
export function registerControlRoutes(app: FastifyInstance, deps: ControlDeps): void {
  const base = '/control/:token';
  const stateOf = (params: unknown) => deps.bot((params as { token: string }).token);

  function userMessage(
    state: BotState,
    user: SandboxUser,
    content: Record<string, unknown>,
    transcript: object,
  ) {
    state.knownChats.add(user.id);
    const messageId = state.nextMessageId++;
    const date = Math.floor(Date.now() / 1000);
    record(state, { message_id: messageId, chat_id: user.id, from: 'user', date, edits: 0, ...transcript });
    const message = {
      message_id: messageId,
      from: {
        id: user.id,
        is_bot: false,
        first_name: user.first_name,
        ...(user.username && { username: user.username }),
      },
      chat: privateChat(user),
      date,
      ...content,
    };
    const update = enqueueUpdate(state, { message }, deps.delivery);
    return { update_id: update.update_id, message_id: messageId };
  }

  app.post(`${base}/messages`, async (request) => {
    const body = request.body as UserBody & { text?: string };
    if (typeof body.text !== 'string' || body.text === '')
      throw new BotApiError(400, 'Bad Request: text is required');
    const entities = entitiesOf(body.text);
    return userMessage(
      stateOf(request.params),
      userOf(body),
      { text: body.text, ...(entities && { entities }) },
      { text: body.text },
    );
  });

  app.post(`${base}/photos`, async (request) => {
    const body = request.body as UserBody & { data?: string; caption?: string };
    const state = stateOf(request.params);
    const bytes = bytesOf(body.data);
    const file = storeFile(
      state,
      { bytes, size: bytes.length, mimeType: 'image/jpeg', ...imageDimensions(bytes) },
      'photos',
    );
    return userMessage(
      state,
      userOf(body),
      { photo: photoSizes(file), ...(body.caption && { caption: body.caption }) },
      {
        photo: {
          file_id: file.fileId,
          width: file.width ?? 0,
          height: file.height ?? 0,
          file_size: file.size,
        },
      },
    );
  });

  app.post(`${base}/documents`, async (request) => {
    const body = request.body as UserBody & {
      data?: string;
      file_name?: string;
      mime_type?: string;
      declared_size?: number;
      caption?: string;
    };
    const state = stateOf(request.params);
    const bytes = bytesOf(body.data);
    // A test may declare a size larger than the bytes it sends (a 30 MB file without sending 30 MB).
    const size = Math.max(bytes.length, Number(body.declared_size ?? 0));
    const file = storeFile(
      state,
      {
        bytes,
        size,
        mimeType: body.mime_type ?? 'application/octet-stream',
        fileName: body.file_name ?? 'file.bin',
      },
      'documents',
    );
    const document = documentOf(file);
    return userMessage(
      state,
      userOf(body),
      { document, ...(body.caption && { caption: body.caption }) },
      {
        document: {
          file_id: file.fileId,
          file_name: document.file_name,
          mime_type: file.mimeType,
          file_size: size,
        },
      },
    );
  });

  app.post(`${base}/callbacks`, async (request) => {
    const body = request.body as UserBody & { message_id?: number; data?: string };
    const state = stateOf(request.params);
    const user = userOf(body);
    const entry = state.transcript.find(
      (item) =>
        item.chat_id === user.id && item.message_id === Number(body.message_id) && item.from === 'bot',
    );
    if (!entry) throw new BotApiError(400, 'Bad Request: message not found');
    const id = randomBytes(8).toString('hex');
    state.callbackQueries.set(id, { answered: false });
    const update = enqueueUpdate(
      state,
      {
        callback_query: {
          id,
          from: { id: user.id, is_bot: false, first_name: user.first_name },
          message: botMessage(state, entry),
          chat_instance: String(user.id),
          data: body.data ?? '',
        },
      },
      deps.delivery,
    );
    return { update_id: update.update_id, callback_query_id: id };
  });

  app.get(`${base}/callbacks/:id`, async (request) => {
    const { id } = request.params as { id: string };
    const query = stateOf(request.params).callbackQueries.get(id);
    if (!query) throw new BotApiError(404, 'Not Found');
    return query;
  });

  app.get(`${base}/chats/:chat_id`, async (request) => {
    const state = stateOf(request.params);
    const chatId = Number((request.params as { chat_id: string }).chat_id);
    const query = request.query as { after?: string; wait?: string };
    const after = Number(query.after ?? -1);
    const wait = Math.min(Number(query.wait ?? 0), 30) * 1000;
    const deadline = Date.now() + wait;
    while (state.version <= after && Date.now() < deadline) await waitForChange(state, deadline - Date.now());
    return { version: state.version, messages: state.transcript.filter((entry) => entry.chat_id === chatId) };
  });

  app.get(`${base}/calls`, async (request) => ({ calls: stateOf(request.params).calls }));

  app.get(`${base}/webhook`, async (request) => {
    const state = stateOf(request.params);
    return { url: state.webhook?.url ?? '', pending_update_count: state.pending.length };
  });

  app.post(`${base}/faults`, async (request) => {
    const body = request.body as {
      method?: string;
      error_code?: number;
      description?: string;
      retry_after?: number;
      count?: number;
    };
    if (!body.method || !body.error_code)
      throw new BotApiError(400, 'Bad Request: method and error_code are required');
    const retryAfter = body.retry_after;
    stateOf(request.params).faults.push({
      method: body.method,
      errorCode: body.error_code,
      description:
        body.description ??
        (body.error_code === 429
          ? `Too Many Requests: retry after ${retryAfter ?? 1}`
          : 'Bad Request: injected fault'),
      ...(body.error_code === 429 ? { retryAfter: retryAfter ?? 1 } : {}),
      remaining: body.count ?? 1,
    });
    return { ok: true };
  });

  app.put(`${base}/chats/:chat_id/blocked`, async (request) => {
    const state = stateOf(request.params);
    const chatId = Number((request.params as { chat_id: string }).chat_id);
    if ((request.body as { blocked?: boolean }).blocked === false) state.blocked.delete(chatId);
    else state.blocked.add(chatId);
    return { ok: true };
  });

  app.get(`${base}/files/:file_id`, async (request, reply) => {
    const file = stateOf(request.params).files.get((request.params as { file_id: string }).file_id);
    if (!file) throw new BotApiError(404, 'Not Found');
    return reply.type(file.mimeType).send(file.bytes);
  });
}
