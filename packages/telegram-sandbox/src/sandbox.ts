import type { AddressInfo } from 'node:net';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { METHODS, type Params, type UploadedPart } from './bot-api.methods.js';
import { type BotState, createBotState, TOKEN_PATTERN, takeFault, wake } from './bot-state.js';
import { renderChatPage } from './chat-page.js';
import { registerControlRoutes } from './control.routes.js';
import { BotApiError } from './telegram-objects.js';
import { createWebhookDelivery } from './update-queue.js';

/** Options of {@link createSandbox}. */
export interface SandboxOptions {
  /** The token the chat page talks as (the bot started against this sandbox uses the same one). */
  pageToken?: string;
  /** The Telegram user the chat page plays. */
  pageUser?: { id: number; first_name: string; username?: string };
}

/** A running (or buildable) Bot API sandbox. */
export interface Sandbox {
  app: FastifyInstance;
  /** The state of one bot (created on first use of its token). */
  bot(token: string): BotState;
  /** Listens; returns the base URL (`http://host:port`). */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

async function readParams(request: FastifyRequest): Promise<Params> {
  const params: Params = { ...(request.query as Params) };
  if (request.isMultipart()) {
    const files = new Map<string, UploadedPart>();
    for await (const part of request.parts({ limits: { fileSize: MAX_UPLOAD_BYTES } })) {
      if (part.type === 'file') {
        files.set(part.fieldname, {
          filename: part.filename,
          mimeType: part.mimetype,
          bytes: await part.toBuffer(),
        });
      } else {
        params[part.fieldname] = part.value;
      }
    }
    // grammY sends `photo=attach://<name>` and the file as part `<name>`; a file may also come directly.
    for (const [name, value] of Object.entries(params)) {
      if (typeof value === 'string' && value.startsWith('attach://')) {
        params[name] = files.get(value.slice('attach://'.length));
      }
    }
    for (const [name, file] of files) if (params[name] === undefined) params[name] = file;
  } else if (request.body && typeof request.body === 'object') {
    Object.assign(params, request.body);
  }
  return params;
}

/**
 * Builds the sandbox: the Bot API under `/bot<token>/<method>` and `/file/bot<token>/<path>`, the control
 * API under `/control/<token>/...` and the chat page at `/`. Any well-formed token is a bot of its own,
 * so tests isolate themselves with a fresh token.
 */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const app = Fastify({ bodyLimit: 40 * 1024 * 1024, forceCloseConnections: true });
  const bots = new Map<string, BotState>();
  const delivery = createWebhookDelivery();

  function bot(token: string): BotState {
    let state = bots.get(token);
    if (!state) {
      const match = TOKEN_PATTERN.exec(token);
      if (!match) throw new BotApiError(401, 'Unauthorized');
      state = createBotState(token, Number(match[1]));
      bots.set(token, state);
    }
    return state;
  }

  app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 10 } });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof BotApiError) return reply.code(error.errorCode).send(error.toBody());
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return reply
      .code(status)
      .send(new BotApiError(status, `Bad Request: ${(error as Error).message}`).toBody());
  });

  app.route({
    method: ['GET', 'POST'],
    url: '/bot:token/:method',
    handler: async (request, reply) => {
      const { token, method } = request.params as { token: string; method: string };
      const state = bot(token);
      const implementation =
        METHODS[method] ??
        METHODS[Object.keys(METHODS).find((name) => name.toLowerCase() === method.toLowerCase()) ?? ''];
      if (!implementation) throw new BotApiError(404, 'Not Found');
      const params = await readParams(request);
      const chatId = Number(params.chat_id);
      const call = { method, ...(Number.isSafeInteger(chatId) ? { chat_id: chatId } : {}), at: Date.now() };
      try {
        const fault = takeFault(state, method);
        if (fault) throw new BotApiError(fault.errorCode, fault.description, fault.retryAfter);
        const abort = new AbortController();
        request.raw.once('close', () => abort.abort());
        reply.raw.once('close', () => abort.abort());
        const result = await implementation({ state, params, signal: abort.signal, delivery });
        state.calls.push({ ...call, ok: true });
        wake(state);
        return { ok: true, result };
      } catch (error) {
        if (error instanceof BotApiError)
          state.calls.push({ ...call, ok: false, error_code: error.errorCode });
        throw error;
      }
    },
  });

  app.get('/file/bot:token/*', async (request, reply) => {
    const { token } = request.params as { token: string };
    const path = (request.params as { '*': string })['*'];
    const state = bot(token);
    const file = [...state.files.values()].find((entry) => entry.filePath === path);
    state.calls.push({ method: 'download', ok: Boolean(file), at: Date.now() });
    if (!file) throw new BotApiError(404, 'Not Found');
    return reply.type(file.mimeType).send(file.bytes);
  });

  registerControlRoutes(app, { bot, delivery });

  app.get('/', async (_request, reply) => {
    if (!options.pageToken) {
      return reply.type('text/plain').send('Start the sandbox with a page token to chat (--token).');
    }
    bot(options.pageToken);
    return reply.type('text/html; charset=utf-8').send(
      renderChatPage({
        token: options.pageToken,
        user: options.pageUser ?? { id: 424242, first_name: 'You' },
      }),
    );
  });

  return {
    app,
    bot,
    async listen(port = 8081, host = '127.0.0.1') {
      await app.listen({ port, host });
      const address = app.server.address() as AddressInfo;
      return `http://${host}:${address.port}`;
    },
    async close() {
      delivery.stop();
      for (const state of bots.values()) wake(state);
      await app.close();
    },
  };
}
