import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api, GrammyError, InputFile } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, createSandboxClient, generateBotToken, type Sandbox } from '../../src/index.js';

let sandbox: Sandbox;
let baseUrl: string;

beforeAll(async () => {
  sandbox = createSandbox({ pageToken: generateBotToken() });
  baseUrl = await sandbox.listen(0);
});
afterAll(() => sandbox.close());

/** A fresh bot (its own token, so its own state), a grammY client of it, and the control client. */
function freshBot() {
  const token = generateBotToken();
  return {
    token,
    api: new Api(token, { apiRoot: baseUrl }),
    control: createSandboxClient(baseUrl, token),
    raw: async (method: string, params: Record<string, unknown> = {}) => {
      const response = await fetch(`${baseUrl}/bot${token}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  };
}

const ada = { id: 5001, first_name: 'Ada' };
// A 2x1 PNG: enough for the sandbox to read the dimensions from the header.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAEElEQVR4nGP4z8DAwMDAAAAHAQH/l2mHkgAAAABJRU5ErkJggg==',
  'base64',
);

describe('the Bot API sandbox', () => {
  it('answers getMe with the bot of the token, and 401 for a malformed token', async () => {
    const bot = freshBot();
    const me = await bot.api.getMe();
    expect(me).toMatchObject({ id: Number(bot.token.split(':')[0]), is_bot: true });
    const response = await fetch(`${baseUrl}/botnot-a-token/getMe`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });
  });

  it('long-polls getUpdates: waits for an update, and an offset confirms what came before it', async () => {
    const bot = freshBot();
    const waiting = bot.api.getUpdates({ timeout: 10 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sent = await bot.control.sendText(ada, '/start');
    const first = await waiting;
    expect(first).toHaveLength(1);
    expect(first[0]?.update_id).toBe(sent.update_id);
    expect(first[0]?.message?.entities).toEqual([{ type: 'bot_command', offset: 0, length: 6 }]);
    // Not confirmed yet: delivered again.
    expect(await bot.api.getUpdates({ timeout: 0 })).toHaveLength(1);
    await bot.control.sendText(ada, 'hello');
    const next = await bot.api.getUpdates({ offset: sent.update_id + 1, timeout: 0 });
    expect(next.map((update) => update.message?.text)).toEqual(['hello']);
    expect(await bot.api.getUpdates({ offset: sent.update_id + 2, timeout: 0 })).toEqual([]);
  });

  it('sends, edits and refuses what Telegram refuses (unknown chat, empty or too long text, unchanged edit)', async () => {
    const bot = freshBot();
    await expect(bot.api.sendMessage(ada.id, 'hi')).rejects.toMatchObject({
      error_code: 400,
      description: 'Bad Request: chat not found',
    });
    await bot.control.sendText(ada, 'hello');
    const message = await bot.api.sendMessage(ada.id, 'working…', {
      reply_markup: { inline_keyboard: [[{ text: 'Next', callback_data: 'page:2' }]] },
    });
    await bot.api.editMessageText(ada.id, message.message_id, 'done');
    await expect(bot.api.editMessageText(ada.id, message.message_id, 'done')).rejects.toMatchObject({
      error_code: 400,
      description: expect.stringContaining('message is not modified'),
    });
    await expect(bot.api.sendMessage(ada.id, 'x'.repeat(4097))).rejects.toMatchObject({ error_code: 400 });
    const transcript = await bot.control.transcript(ada.id);
    expect(transcript.map((entry) => [entry.from, entry.text, entry.edits])).toEqual([
      ['user', 'hello', 0],
      ['bot', 'done', 1],
    ]);
  });

  it('takes a photo upload (multipart, as grammY sends it) and serves it back through getFile', async () => {
    const bot = freshBot();
    await bot.control.sendText(ada, 'hi');
    const sent = await bot.api.sendPhoto(ada.id, new InputFile(PNG, 'dot.png'), { caption: 'small' });
    const largest = sent.photo?.at(-1);
    expect(largest).toMatchObject({ width: 2, height: 1, file_size: PNG.length });
    const file = await bot.api.getFile(largest?.file_id ?? '');
    const download = await fetch(`${baseUrl}/file/bot${bot.token}/${file.file_path}`);
    expect(Buffer.from(await download.arrayBuffer()).equals(PNG)).toBe(true);
    await bot.api.sendChatAction(ada.id, 'upload_photo');
    const document = await bot.api.sendDocument(ada.id, new InputFile(Buffer.from('notes'), 'notes.txt'));
    expect(document.document?.file_name).toBe('notes.txt');
  });

  it('refuses getFile above 20 MB, as Telegram does', async () => {
    const bot = freshBot();
    await bot.control.sendDocument(ada, {
      bytes: Buffer.from('tiny'),
      fileName: 'big.pdf',
      mimeType: 'application/pdf',
      declaredSize: 25 * 1024 * 1024,
    });
    const [update] = await bot.api.getUpdates({ timeout: 0 });
    expect(update?.message?.document?.file_size).toBe(25 * 1024 * 1024);
    await expect(bot.api.getFile(update?.message?.document?.file_id ?? '')).rejects.toMatchObject({
      error_code: 400,
      description: 'Bad Request: file is too big',
    });
  });

  it('answers an injected 429 with retry_after in parameters, and 403 once the user blocked the bot', async () => {
    const bot = freshBot();
    await bot.control.sendText(ada, 'hi');
    await bot.control.injectFault({ method: 'sendMessage', error_code: 429, retry_after: 3 });
    const limited = await bot.raw('sendMessage', { chat_id: ada.id, text: 'one' });
    expect(limited).toEqual({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 3',
        parameters: { retry_after: 3 },
      },
    });
    expect((await bot.raw('sendMessage', { chat_id: ada.id, text: 'two' })).status).toBe(200);
    await bot.control.setBlocked(ada.id, true);
    const error = await bot.api.sendMessage(ada.id, 'three').catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(GrammyError);
    expect(error).toMatchObject({ error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    const calls = await bot.control.calls('sendMessage');
    expect(calls.map((call) => call.error_code ?? 200)).toEqual([429, 200, 403]);
  });

  it('delivers updates to a webhook with the secret header, retries failures, and refuses getUpdates meanwhile', async () => {
    const bot = freshBot();
    const received: Array<{ headers: IncomingHttpHeaders; body: unknown }> = [];
    let failFirst = true;
    const server: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body: JSON.parse(body) });
        response.statusCode = failFirst ? 500 : 200;
        failFirst = false;
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/telegram/webhook`;
      await bot.api.setWebhook(url, { secret_token: 'the-secret_1' });
      await expect(bot.api.getUpdates()).rejects.toMatchObject({ error_code: 409 });
      const sent = await bot.control.sendText(ada, 'via webhook');
      for (let i = 0; i < 100 && received.length < 2; i += 1) await new Promise((r) => setTimeout(r, 50));
      expect(received).toHaveLength(2);
      for (const delivery of received) {
        expect(delivery.headers['x-telegram-bot-api-secret-token']).toBe('the-secret_1');
        expect(delivery.body).toMatchObject({ update_id: sent.update_id, message: { text: 'via webhook' } });
      }
      await bot.api.deleteWebhook();
      expect(await bot.api.getUpdates({ timeout: 0 })).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('turns a button press into a callback query the bot answers', async () => {
    const bot = freshBot();
    await bot.control.sendText(ada, 'hi');
    const message = await bot.api.sendMessage(ada.id, 'page 1', {
      reply_markup: { inline_keyboard: [[{ text: 'Next', callback_data: 'page:2' }]] },
    });
    const pressed = await bot.control.pressButton(ada, message.message_id, 'page:2');
    const updates = await bot.api.getUpdates({ offset: pressed.update_id, timeout: 0 });
    expect(updates[0]?.callback_query).toMatchObject({
      data: 'page:2',
      message: { message_id: message.message_id },
    });
    await bot.api.answerCallbackQuery(pressed.callback_query_id, { text: 'ok' });
    expect(await bot.control.callbackAnswer(pressed.callback_query_id)).toEqual({
      answered: true,
      text: 'ok',
    });
  });

  it('serves the chat page at /', async () => {
    const response = await fetch(`${baseUrl}/`);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('id="composer"');
  });
});
